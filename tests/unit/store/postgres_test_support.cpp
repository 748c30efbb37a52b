#include "postgres_test_support.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>

namespace chatstream::store::test {
namespace {

void ignore_notice(void*, const char*) {}

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1)) + "_" +
         std::to_string(random() % 1'000'000);
}

}  // namespace

std::string test_postgres_url() {
  const char* url = std::getenv(postgres_url_variable);
  return url != nullptr ? std::string(url) : std::string();
}

// ---- PgAdmin ---------------------------------------------------------------------------

PgAdmin::PgAdmin(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    const std::string message = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
    PQfinish(conn_);
    throw std::runtime_error("test: cannot connect to the test PostgreSQL server: " + message);
  }
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
}

PgAdmin::~PgAdmin() {
  PQfinish(conn_);
}

void PgAdmin::exec(const std::string& sql) {
  PGresult* result = PQexec(conn_, sql.c_str());
  const auto status = PQresultStatus(result);
  const std::string error = PQresultErrorMessage(result);
  PQclear(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("test: '" + sql + "' failed: " + error);
  }
}

std::optional<std::string> PgAdmin::scalar(const std::string& sql) {
  PGresult* result = PQexec(conn_, sql.c_str());
  std::optional<std::string> out;
  const bool ok = PQresultStatus(result) == PGRES_TUPLES_OK;
  const std::string error = PQresultErrorMessage(result);
  if (ok && PQntuples(result) > 0 && PQgetisnull(result, 0, 0) == 0) {
    out = PQgetvalue(result, 0, 0);
  }
  PQclear(result);
  if (!ok) throw std::runtime_error("test: '" + sql + "' failed: " + error);
  return out;
}

std::string PgAdmin::host() const {
  return PQhost(conn_);
}
std::string PgAdmin::port() const {
  return PQport(conn_);
}
std::string PgAdmin::user() const {
  return PQuser(conn_);
}

// ---- PostgresFactory -------------------------------------------------------------------

PostgresFactory::PostgresFactory() : base_url_(test_postgres_url()) {
  if (!base_url_.empty()) admin_ = std::make_unique<PgAdmin>(base_url_);
}

PostgresFactory::~PostgresFactory() {
  for (const auto& schema : schemas_) {
    try {
      admin_->exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (const std::exception&) {
      // Left behind on a throwaway server; it does not affect other tests.
    }
  }
}

std::string PostgresFactory::skip_reason() {
  if (!base_url_.empty()) return {};
  return std::string(postgres_url_variable) +
         " is not set: PostgreSQL store tests skipped (scripts/services.sh starts a server, "
         "e.g. `source scripts/services.sh; start_postgres /tmp/chatstream-pg 55432`)";
}

std::string PostgresFactory::url_for_schema(const std::string& base, const std::string& schema) {
  const char separator = base.find('?') == std::string::npos ? '?' : '&';
  return base + separator + "options=-csearch_path%3D" + schema + "&application_name=" + schema;
}

std::string PostgresFactory::new_schema() {
  const std::string schema = "cs_test_" + unique_suffix();
  admin_->exec("CREATE SCHEMA " + schema);
  schemas_.push_back(schema);
  return schema;
}

StoreConfig PostgresFactory::fresh_config() {
  StoreConfig config;
  config.url = url_for_schema(base_url_, new_schema());
  return config;
}

std::vector<std::pair<StoreConfig, std::string>> PostgresFactory::broken_configs() {
  std::vector<std::pair<StoreConfig, std::string>> out;
  StoreConfig refused;
  refused.url = "postgres://chatstream:hunter2secret@127.0.0.1:1/chat";
  out.emplace_back(refused,
                   "cannot connect to PostgreSQL at "
                   "postgres://chatstream:***@127.0.0.1:1/chat");

  StoreConfig no_database;
  no_database.url = "postgresql://" + admin_->user() + "@" + admin_->host() + ":" + admin_->port() +
                    "/chatstream_no_such_database";
  out.emplace_back(no_database, "does not exist");

  StoreConfig newer = fresh_config();
  admin_->exec("CREATE TABLE " + last_schema() +
               ".schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
               "applied_at BIGINT NOT NULL)");
  admin_->exec("INSERT INTO " + last_schema() +
               ".schema_migrations VALUES (9999, '9999_future', 0)");
  out.emplace_back(newer, "newer than this program supports");
  return out;
}

}  // namespace chatstream::store::test
