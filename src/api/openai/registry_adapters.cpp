// Adapters from the provider registry to the gateway's resolver and model list (kept apart so
// that code using the gateway with other resolvers does not need the registry).
#include "api/openai/gateway.hpp"

namespace chatstream::api::openai {

ModelResolver registry_resolver(const providers::Registry& registry) {
  return [&registry](std::string_view model) { return registry.resolve(model); };
}

ModelLister registry_models(const providers::Registry& registry) {
  return [&registry] { return registry.models(); };
}

}  // namespace chatstream::api::openai
