#include "app/config.hpp"

#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>

#include <cstdlib>
#include <list>
#include <sstream>

#include "app/duration.hpp"

namespace chatstream::app {
namespace {

std::string env_name(std::string_view long_name) {
  std::string out = "CHATSTREAM_";
  for (char c : long_name) out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

// Binds options to Config fields; the TOML file (if any) provides the starting values, so
// that CLI11's own precedence (flag, then environment) applies on top of it.
class Binder {
 public:
  Binder(CLI::App& app, const toml::table* file) : app_(app), file_(file) {}

  template <class T>
  CLI::Option* option(const std::string& name, T& var, const std::string& help) {
    if (auto node = lookup(name)) {
      if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
        if (auto v = node->template value<std::string>()) {
          var = T(*v);
        } else {
          errors_.push_back(name + ": expected a string");
        }
      } else if constexpr (std::is_same_v<T, bool>) {
        if (auto v = node->template value<bool>()) {
          var = *v;
        } else {
          errors_.push_back(name + ": expected true or false");
        }
      } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        if (auto arr = node->as_array()) {
          var.clear();
          for (const auto& item : *arr) {
            if (auto v = item.template value<std::string>()) var.push_back(*v);
          }
        } else {
          errors_.push_back(name + ": expected an array of strings");
        }
      } else if constexpr (std::is_integral_v<T>) {
        auto v = node->template value<std::int64_t>();
        if (v && *v >= 0) {
          var = static_cast<T>(*v);
        } else {
          errors_.push_back(name + ": expected a non-negative integer");
        }
      } else {
        static_assert(sizeof(T) == 0, "unsupported option type");
      }
    }
    return app_.add_option("--" + name, var, help)->envname(env_name(name))->capture_default_str();
  }

  CLI::Option* flag(const std::string& name, bool& var, const std::string& help) {
    if (auto node = lookup(name)) {
      if (auto v = node->value<bool>()) {
        var = *v;
      } else {
        errors_.push_back(name + ": expected true or false");
      }
    }
    return app_.add_flag("--" + name, var, help)->envname(env_name(name))->capture_default_str();
  }

  CLI::Option* duration(const std::string& name, std::chrono::milliseconds& var,
                        const std::string& help) {
    auto& text = holders_.emplace_back(format_duration(var));
    if (auto node = lookup(name)) {
      if (auto s = node->value<std::string>()) {
        text = *s;
      } else if (auto n = node->value<std::int64_t>()) {
        text = std::to_string(*n) + "ms";
      } else {
        errors_.push_back(name + ": expected a duration such as \"15s\"");
      }
    }
    durations_.push_back({name, &text, &var});
    return app_.add_option("--" + name, text, help + " (e.g. 250ms, 15s, 5m)")
        ->envname(env_name(name))
        ->capture_default_str();
  }

  // Converts duration strings once parsing is done.
  void finish() {
    for (auto& d : durations_) {
      if (auto v = parse_duration(*d.text)) {
        *d.target = *v;
      } else {
        errors_.push_back("--" + d.name + ": not a duration: \"" + *d.text + "\"");
      }
    }
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::optional<toml::node_view<const toml::node>> lookup(const std::string& name) const {
    if (!file_) return std::nullopt;
    std::string underscored = name;
    for (auto& c : underscored) c = c == '-' ? '_' : c;
    for (const auto& key : {name, underscored}) {
      auto node = (*file_)[key];
      if (node) return node;
    }
    return std::nullopt;
  }

  struct Duration {
    std::string name;
    std::string* text;
    std::chrono::milliseconds* target;
  };
  CLI::App& app_;
  const toml::table* file_;
  std::list<std::string> holders_;
  std::vector<Duration> durations_;
  std::vector<std::string> errors_;
};

// Finds --config <path> / --config=<path> before full parsing (the file seeds the defaults).
std::optional<std::string> find_config_path(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--config" && i + 1 < argc) return std::string(argv[i + 1]);
    if (a.starts_with("--config=")) return std::string(a.substr(9));
  }
  if (const char* e = std::getenv("CHATSTREAM_CONFIG")) return std::string(e);
  return std::nullopt;
}

void add_account_options(Binder& b, AccountSettings& a) {
  b.option("mode", a.mode,
           "single-user (no login, loopback only) or multi-user (accounts, sessions, per-user "
           "limits; needed for a non-loopback bind)")
      ->check(CLI::IsMember({"single-user", "multi-user"}));
  b.flag("behind-tls", a.behind_tls,
         "Served to browsers over HTTPS by a reverse proxy: the session cookie gets Secure");
  b.flag("trust-forwarded-for", a.trust_forwarded_for,
         "Take the client address from X-Forwarded-For (only behind your own proxy)");
  b.duration("session-idle", a.session_idle, "A session unused for this long ends");
  b.duration("session-lifetime", a.session_lifetime, "A session ends this long after login");
  b.option("user-max-generations", a.user_max_generations,
           "Answers generated at once per user (multi-user; 0 = unlimited)");
  b.option("user-requests-per-minute", a.user_requests_per_minute,
           "Generation requests per minute per user (multi-user; 0 = unlimited)");
  b.option("user-tokens-per-day", a.user_tokens_per_day,
           "Prompt + completion tokens per user per UTC day (multi-user; 0 = unlimited)");
  b.option("login-free-attempts", a.login_free_attempts,
           "Failed logins per account before it is locked out");
  b.option("login-ip-free-attempts", a.login_ip_free_attempts,
           "Failed logins per client address before it is locked out");
  b.duration("login-lockout", a.login_lockout, "First lockout; each further failure doubles it");
  b.duration("login-lockout-max", a.login_lockout_max, "Longest lockout");
  b.option("password-cost", a.password_cost,
           "argon2id cost: interactive (64 MiB), moderate (256 MiB) or minimum (tests only)")
      ->check(CLI::IsMember({"interactive", "moderate", "minimum"}));
}

void add_options(Binder& b, Config& c) {
  auto& s = c.server;
  b.option("bind", s.bind_address, "Address to listen on (loopback by default)");
  b.option("port", s.port, "TCP port (0 = any free port)");
  b.option("port-file", c.port_file, "Write the bound port to this file once listening");
  b.option("data-dir", c.data_dir, "Directory for the database and other state");
  b.option("database", c.database,
           "History database: a SQLite file path, sqlite:<path>, or postgres://user@host/db "
           "(default: <data-dir>/chatstream.db)");
  b.option("web-root", c.web_root, "Directory with the built web app");
  b.option("threads", c.threads, "I/O threads (0 = one per core)");
  b.option("log-format", c.log_format, "Log format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  b.option("log-level", c.log_level, "Log level: trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  b.option("max-header-bytes", s.max_header_bytes, "Largest accepted request head (431 beyond)");
  b.option("max-body-bytes", s.max_body_bytes, "Largest accepted request body (413 beyond)");
  b.option("max-connections", s.max_connections, "Open connections before new ones get 503");
  b.duration("request-timeout", s.request_timeout, "Time to receive a whole request");
  b.duration("keepalive-timeout", s.keepalive_timeout, "Idle time between keep-alive requests");
  b.duration("write-timeout", s.write_timeout,
             "A client that accepts no bytes for this long is dropped");
  b.duration("sse-heartbeat", s.sse_heartbeat, "Comment heartbeat on idle event streams");
  b.duration("shutdown-grace", c.shutdown_grace,
             "On SIGTERM, time given to requests in flight before they are cancelled");
  b.option("allowed-host", s.security.allowed_hosts,
           "Extra Host names accepted (DNS-rebinding defence); repeatable")
      ->delimiter(',');
  b.flag("allow-remote-unauthenticated", c.allow_remote_unauthenticated,
         "Allow single-user mode (no login) on a non-loopback address");
  add_account_options(b, c.accounts);
  b.flag("gateway-history", c.gateway_history,
         "Save /v1 chat completions as conversations (shown in the web app)");
  b.flag("debug-endpoints", c.debug_endpoints,
         "Serve GET /api/debug/stream, a synthetic event stream for checking proxies");
  b.option("redis", c.cluster.redis,
           "Redis URL (redis://host:port[/db]) shared by several instances for live streams, "
           "cancels and ownership (empty: a single instance)");
  b.option("instance-id", c.cluster.instance_id,
           "This instance's name among several (default: a random one per start)");
  b.duration("lease-ttl", c.cluster.lease_ttl,
             "An instance not heard from for this long is taken as dead: its running answers "
             "are saved as interrupted");
  auto& g = c.generation;
  b.duration("persist-interval", g.persist_interval,
             "How often a growing answer is saved while it streams");
  b.duration("generation-grace", g.log_grace,
             "How long a finished generation's live log stays in memory for resumes");
  b.duration("cancel-on-disconnect-after", g.cancel_unwatched_after,
             "Cancel a generation nobody has watched for this long (0 = never; a refresh "
             "resumes otherwise)");
  b.option("max-generations", g.max_concurrent, "Generations running at once (429 beyond)");
  b.option("max-message-bytes", g.max_message_bytes, "Largest user message (413 beyond)");
  b.option("context-budget-chars", g.context_budget_chars,
           "History sent to the model; the oldest turns are dropped beyond it");
  b.option("auto-titles", g.auto_titles,
           "After the first answer, ask the model for a short conversation title (true/false; "
           "never for the simulated model)");
}

}  // namespace

ConfigResult load_config(int argc, const char* const* argv) {
  ConfigResult result;
  Config config;
  std::shared_ptr<toml::table> file;
  std::string config_path;
  if (auto path = find_config_path(argc, argv)) {
    config_path = *path;
    try {
      file = std::make_shared<toml::table>(toml::parse_file(*path));
    } catch (const toml::parse_error& e) {
      std::ostringstream msg;
      msg << "config file " << *path << ": " << e.description() << " (line "
          << e.source().begin.line << ")";
      result.exit_code = 2;
      result.message = msg.str();
      return result;
    }
    config.config_path = *path;
  }

  CLI::App app{"chatstream: a self-hosted streaming chat server", "chatstream"};
  app.get_formatter()->column_width(40);
  app.add_option("--config", config_path, "TOML configuration file (flags and env win over it)")
      ->envname("CHATSTREAM_CONFIG");
  app.set_version_flag("--version", std::string("chatstream 0.1.0"));
  Binder binder(app, file.get());
  add_options(binder, config);
  app.footer(
      "Every option can also be set as CHATSTREAM_<NAME> in the environment or as <name> in the "
      "--config file.\nPrecedence: flag > environment > file > default.\n\n"
      "Modes: single-user (default; no login; loopback only) and multi-user (accounts; create "
      "the first admin with\n`chatstream user add <name> --role admin` or the setup token printed "
      "at first start).\nUser accounts: chatstream user add|list|passwd|disable|enable "
      "(see chatstream user --help).");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    result.exit_code = app.exit(e, out, err);
    result.message = out.str() + err.str();
    return result;
  }
  binder.finish();
  if (!binder.errors().empty()) {
    result.exit_code = 2;
    for (const auto& e : binder.errors()) result.message += "error: " + e + "\n";
    return result;
  }
  config.file = std::move(file);
  result.config = std::move(config);
  return result;
}

std::string database_url(const std::filesystem::path& data_dir, const std::string& database) {
  if (!database.empty()) return database;
  return (data_dir / "chatstream.db").string();
}

std::string validate(const Config& config) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(config.server.bind_address, ec);
  if (ec) return "--bind: not an IP address: " + config.server.bind_address;
  const bool multi_user = config.accounts.mode == "multi-user";
  if (!address.is_loopback() && !multi_user && !config.allow_remote_unauthenticated) {
    return "refusing to listen on " + config.server.bind_address +
           " in single-user mode (no login): anyone who can reach it could use your model "
           "providers. Use --mode multi-user (accounts; see docs/accounts.md), or put it behind "
           "an authenticating reverse proxy and pass --allow-remote-unauthenticated, or keep "
           "the default 127.0.0.1.";
  }
  const auto& a = config.accounts;
  if (a.session_idle.count() <= 0 || a.session_lifetime.count() <= 0) {
    return "--session-idle and --session-lifetime must be positive";
  }
  if (a.user_max_generations < 0 || a.user_requests_per_minute < 0 || a.user_tokens_per_day < 0) {
    return "per-user limits must be >= 0 (0 = unlimited)";
  }
  if (a.login_lockout.count() <= 0 || a.login_lockout_max < a.login_lockout) {
    return "--login-lockout must be positive and at most --login-lockout-max";
  }
  if (config.server.max_body_bytes == 0) return "--max-body-bytes must be positive";
  if (config.generation.max_concurrent == 0) return "--max-generations must be positive";
  return {};
}

}  // namespace chatstream::app
