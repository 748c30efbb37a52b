// PostgreSQL for the store tests: the server named by CHATSTREAM_TEST_POSTGRES_URL
// (scripts/services.sh starts one). Without it the PostgreSQL tests skip.
//
// Every fresh_config() is a new, empty schema on that server (selected with search_path in
// the URL's options), dropped again when the factory is destroyed, so tests are independent
// and may run in parallel processes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store_test_support.hpp"

struct pg_conn;

namespace chatstream::store::test {

inline constexpr const char* postgres_url_variable = "CHATSTREAM_TEST_POSTGRES_URL";

// The test server's URL, or empty when the variable is not set.
std::string test_postgres_url();

// A plain libpq connection for setting up and inspecting test databases.
class PgAdmin {
 public:
  explicit PgAdmin(const std::string& url);  // throws std::runtime_error
  ~PgAdmin();
  PgAdmin(const PgAdmin&) = delete;
  PgAdmin& operator=(const PgAdmin&) = delete;

  void exec(const std::string& sql);  // throws std::runtime_error
  // The first column of the first row; nullopt when there is no row or it is NULL.
  std::optional<std::string> scalar(const std::string& sql);
  std::string host() const;
  std::string port() const;
  std::string user() const;

 private:
  pg_conn* conn_;
};

class PostgresFactory final : public BackendFactory {
 public:
  PostgresFactory();
  ~PostgresFactory() override;

  std::string skip_reason() override;
  StoreConfig fresh_config() override;
  std::vector<std::pair<StoreConfig, std::string>> broken_configs() override;

  // The schema of the last fresh_config() (also its application_name).
  const std::string& last_schema() const { return schemas_.back(); }
  PgAdmin& admin() { return *admin_; }
  // `base` with options selecting `schema` and naming the sessions after it.
  static std::string url_for_schema(const std::string& base, const std::string& schema);

 private:
  std::string new_schema();

  std::string base_url_;
  std::unique_ptr<PgAdmin> admin_;
  std::vector<std::string> schemas_;
};

}  // namespace chatstream::store::test
