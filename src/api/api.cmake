chatstream_add_library(chatstream_api
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/auth/admin.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth/common.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth/session.cpp
    ${CMAKE_CURRENT_LIST_DIR}/auth/tokens.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cancel.cpp
    ${CMAKE_CURRENT_LIST_DIR}/conversations.cpp
    ${CMAKE_CURRENT_LIST_DIR}/events.cpp
    ${CMAKE_CURRENT_LIST_DIR}/json.cpp
    ${CMAKE_CURRENT_LIST_DIR}/messages.cpp
    ${CMAKE_CURRENT_LIST_DIR}/routes.cpp
    ${CMAKE_CURRENT_LIST_DIR}/titles.cpp
  DEPS chatstream_http chatstream_generation chatstream_store chatstream_providers
       chatstream_util chatstream_auth_service Boost::json)
