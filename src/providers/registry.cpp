#include "providers/registry.hpp"

#include <spdlog/spdlog.h>
#include <map>

#include "providers/http_client.hpp"
#include "providers/http_provider.hpp"
#include "providers/simulated.hpp"

namespace chatstream::providers {

Registry::Registry(std::vector<ProviderConfig> configs, HttpClientConfig http,
                   std::shared_ptr<spdlog::logger> logger)
    : configs_(std::move(configs)) {
  for (const auto& c : configs_) {
    if (c.kind == "simulated") {
      providers_.push_back(std::make_shared<SimulatedProvider>(c.name, c.simulated));
      continue;
    }
    if (!http_) http_ = std::make_shared<HttpClient>(http, logger);
    providers_.push_back(std::make_shared<HttpProvider>(c, http_));
    if (logger) {
      logger->info("provider {} ({}) at {}, {} model(s), key {}", c.name, c.kind, c.base_url,
                   c.models.size(),
                   c.api_key.empty()
                       ? "not set"
                       : "set" + (c.api_key_env.empty() ? "" : " from " + c.api_key_env));
    }
  }
  for (std::size_t i = 0; i < configs_.size() && default_model_.empty(); ++i) {
    if (configs_[i].kind != "simulated" && !configs_[i].default_model.empty()) {
      default_model_ = configs_[i].name + "/" + configs_[i].default_model;
    }
  }
  if (default_model_.empty()) {
    for (const auto& p : providers_) {
      if (p->kind() == "simulated" && !p->models().empty()) {
        default_model_ = p->models().front().id;
        break;
      }
    }
  }
  // Prefer the bare id for the default when it is unambiguous.
  if (auto r = resolve(default_model_)) {
    for (const auto& m : models()) {
      if (m.provider == r->provider->name() && (m.id == r->model || m.id == default_model_))
        default_model_ = m.id;
    }
  }
}

Registry::~Registry() = default;

std::optional<ResolvedModel> Registry::resolve(std::string_view model) const {
  if (model.empty()) model = default_model_;
  if (const auto slash = model.find('/'); slash != std::string_view::npos) {
    if (auto p = find_provider(model.substr(0, slash))) {
      return ResolvedModel{p, std::string(model.substr(slash + 1)), std::string(model)};
    }
  }
  for (const auto& p : providers_) {
    for (const auto& m : p->models()) {
      if (m.id == model) return ResolvedModel{p, m.id, std::string(model)};
    }
  }
  return std::nullopt;
}

std::vector<ModelInfo> Registry::models() const {
  std::map<std::string, int> count;
  for (const auto& p : providers_) {
    for (const auto& m : p->models()) ++count[m.id];
  }
  std::vector<ModelInfo> out;
  for (const auto& p : providers_) {
    for (auto m : p->models()) {
      if (count[m.id] > 1) m.id = p->name() + "/" + m.id;
      out.push_back(std::move(m));
    }
  }
  return out;
}

std::string Registry::default_model() const {
  return default_model_;
}

std::shared_ptr<Provider> Registry::find_provider(std::string_view name) const {
  for (const auto& p : providers_) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

}  // namespace chatstream::providers
