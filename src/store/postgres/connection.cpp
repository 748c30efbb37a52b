#include "store/postgres/connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "util/utf8.hpp"

namespace chatstream::store::postgres {
namespace {

bool needs_sanitizing(std::string_view text) noexcept {
  return text.find('\0') != std::string_view::npos || !util::is_valid_utf8(text);
}

// libpq messages end with a newline and may span lines; keep them on one line.
std::string one_line(std::string_view text) {
  std::string out(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\t', ' ');
  return out;
}

void ignore_notice(void*, const char*) {}

std::int64_t parse_integer(const char* text, int size) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text, text + size, value);
  if (ec != std::errc{} || ptr != text + size) {
    throw StoreFailure("store: PostgreSQL returned a non-integer value '" +
                       std::string(text, static_cast<std::size_t>(size)) + "'");
  }
  return value;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const std::size_t start = scheme + 3;
    const std::size_t end = std::min(out.find('/', start), out.find('?', start));
    const std::size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
      const std::size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  const auto query = out.find('?');
  for (std::size_t pos = query; pos != std::string::npos && pos < out.size();) {
    const std::size_t key = pos + 1;
    std::size_t next = out.find('&', key);
    if (out.compare(key, 9, "password=") == 0) {
      const std::size_t value = key + 9;
      out.replace(value, (next == std::string::npos ? out.size() : next) - value, "***");
      next = out.find('&', value);
    }
    pos = next;
  }
  return out;
}

// ---- Rows ----------------------------------------------------------------------------

void Rows::Deleter::operator()(pg_result* result) const noexcept {
  PQclear(result);
}

Rows::Rows(std::unique_ptr<pg_result, Deleter> result) noexcept
    : result_(std::move(result)), rows_(PQntuples(result_.get())) {}

std::string Rows::text(int row, int column) const {
  const char* value = PQgetvalue(result_.get(), row, column);
  const int size = PQgetlength(result_.get(), row, column);
  return std::string(value, static_cast<std::size_t>(size));
}

std::optional<std::string> Rows::optional_text(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column) != 0) return std::nullopt;
  return text(row, column);
}

std::int64_t Rows::integer(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column) != 0) return 0;
  return parse_integer(PQgetvalue(result_.get(), row, column),
                       PQgetlength(result_.get(), row, column));
}

std::optional<std::int64_t> Rows::optional_integer(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column) != 0) return std::nullopt;
  return integer(row, column);
}

std::int64_t Rows::affected() const noexcept {
  const char* text = PQcmdTuples(result_.get());
  std::int64_t value = 0;
  if (text != nullptr) std::from_chars(text, text + std::char_traits<char>::length(text), value);
  return value;
}

// ---- Query ---------------------------------------------------------------------------

Query& Query::bind(std::string_view text) {
  if (needs_sanitizing(text)) {
    params_.emplace_back(util::sanitize_utf8(text, true));
  } else {
    params_.emplace_back(std::string(text));
  }
  return *this;
}

Query& Query::bind(std::int64_t value) {
  params_.emplace_back(std::to_string(value));
  return *this;
}

Query& Query::bind(const std::optional<std::string>& text) {
  return text ? bind(std::string_view(*text)) : bind_null();
}

Query& Query::bind(const std::optional<std::int64_t>& value) {
  return value ? bind(*value) : bind_null();
}

Query& Query::bind_null() {
  params_.emplace_back(std::nullopt);
  return *this;
}

Rows Query::rows() {
  return conn_->execute(sql_, params_);
}

std::int64_t Query::run() {
  const Rows result = conn_->execute(sql_, params_);
  const std::int64_t changed = result.affected();
  ++conn_->statements_;
  conn_->rows_ += static_cast<std::uint64_t>(changed);
  return changed;
}

// ---- Connection ----------------------------------------------------------------------

std::unique_ptr<Connection> Connection::open(const std::string& url,
                                             std::chrono::milliseconds connect_timeout) {
  const auto seconds = std::max<std::int64_t>(
      2, std::chrono::duration_cast<std::chrono::seconds>(connect_timeout).count());
  const std::string timeout = std::to_string(seconds);
  // Later entries win: the URL overrides the defaults before it; the encoding is fixed.
  const char* const keys[] = {"connect_timeout", "application_name", "dbname", "client_encoding",
                              nullptr};
  const char* const values[] = {timeout.c_str(), "chatstream", url.c_str(), "UTF8", nullptr};
  pg_conn* raw = PQconnectdbParams(keys, values, 1);
  auto conn = std::make_unique<Connection>(Key{}, raw, redact_url(url));
  if (raw == nullptr) {
    throw StoreFailure("store: cannot connect to PostgreSQL at " + conn->url_ + ": out of memory");
  }
  if (PQstatus(raw) != CONNECTION_OK) {
    throw StoreFailure("store: cannot connect to PostgreSQL at " + conn->url_ + ": " +
                       one_line(PQerrorMessage(raw)));
  }
  conn->configure();
  return conn;
}

Connection::Connection(Key, pg_conn* conn, std::string redacted_url) noexcept
    : conn_(conn), url_(std::move(redacted_url)) {}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

void Connection::configure() {
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  const char* encoding = PQparameterStatus(conn_, "server_encoding");
  if (encoding == nullptr || std::string_view(encoding) != "UTF8") {
    throw StoreFailure("store: PostgreSQL database at " + url_ +
                       " must use the UTF8 encoding (it uses " +
                       std::string(encoding != nullptr ? encoding : "an unknown one") + ")");
  }
}

bool Connection::broken() const noexcept {
  return PQstatus(conn_) != CONNECTION_OK;
}

bool Connection::transaction_failed() const noexcept {
  return PQtransactionStatus(conn_) == PQTRANS_INERROR;
}

void Connection::ensure_open() {
  if (!broken()) return;
  prepared_.clear();  // the new session has none of them
  PQreset(conn_);
  if (broken()) {
    throw StoreFailure("store: cannot reconnect to PostgreSQL at " + url_ + ": " +
                       one_line(PQerrorMessage(conn_)));
  }
  configure();
}

void Connection::exec(std::string_view sql) {
  if (broken()) fail(sql, "the connection is broken");
  const std::string text(sql);
  std::unique_ptr<pg_result, Rows::Deleter> result(PQexec(conn_, text.c_str()));
  const auto status = PQresultStatus(result.get());
  if (result == nullptr || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    fail(one_line(sql.substr(0, 60)),
         result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_));
  }
}

const std::string& Connection::prepared_name(const char* sql) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return it->second;
  std::string name = "chatstream_" + std::to_string(next_statement_++);
  std::unique_ptr<pg_result, Rows::Deleter> result(PQprepare(conn_, name.c_str(), sql, 0, nullptr));
  if (result == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    fail("prepare", result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_));
  }
  return prepared_.emplace(sql, std::move(name)).first->second;
}

Rows Connection::execute(const char* sql, std::span<const std::optional<std::string>> params) {
  if (broken()) fail("query", "the connection is broken");
  const std::string& name = prepared_name(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  std::unique_ptr<pg_result, Rows::Deleter> result(PQexecPrepared(
      conn_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0));
  const auto status = PQresultStatus(result.get());
  if (result == nullptr || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    fail("query", result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_));
  }
  return Rows(std::move(result));
}

void Connection::fail(std::string_view what, std::string_view detail) const {
  std::string message = "store: PostgreSQL " + std::string(what) + " failed: " + one_line(detail);
  if (broken()) {
    throw ConnectionLost(message + " (connection to " + url_ + " lost)");
  }
  throw StoreFailure(message);
}

}  // namespace chatstream::store::postgres
