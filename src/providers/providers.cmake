# Streaming providers: interface, simulated model, configuration, registry, HTTPS client.
# (Included from src/providers/CMakeLists.txt; the pure decoders live in dialect/.)
set(CHATSTREAM_PROVIDERS_DIR ${CMAKE_CURRENT_LIST_DIR})
chatstream_add_library(chatstream_providers
  SOURCES
    ${CHATSTREAM_PROVIDERS_DIR}/config.cpp
    ${CHATSTREAM_PROVIDERS_DIR}/simulated.cpp
    ${CHATSTREAM_PROVIDERS_DIR}/simulated_answers.cpp
    ${CHATSTREAM_PROVIDERS_DIR}/http/origin.cpp
    ${CHATSTREAM_PROVIDERS_DIR}/http/connect.cpp
    ${CHATSTREAM_PROVIDERS_DIR}/http/exchange.cpp
    ${CHATSTREAM_PROVIDERS_DIR}/http/client.cpp
    ${CHATSTREAM_PROVIDERS_DIR}/wire_request.cpp
    ${CHATSTREAM_PROVIDERS_DIR}/http_provider.cpp
    ${CHATSTREAM_PROVIDERS_DIR}/registry.cpp
  DEPS chatstream_dialect chatstream_util Boost::headers Boost::json Boost::url OpenSSL::SSL OpenSSL::Crypto tomlplusplus::tomlplusplus spdlog::spdlog
       Threads::Threads)
