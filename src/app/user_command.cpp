#include "app/user_command.hpp"

#include <termios.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "auth/password.hpp"
#include "store/accounts.hpp"
#include "store/store.hpp"
#include "util/time.hpp"

namespace chatstream::app {
namespace asio = boost::asio;

namespace {

struct Options {
  std::string config_path;
  std::filesystem::path data_dir = "data";
  std::string database;
  std::string password_cost = "interactive";
  std::string name;
  std::string role = "user";
  bool password_stdin = false;
};

// Runs one store operation to completion on a private io_context.
template <class T>
T run_sync(asio::awaitable<T> op) {
  asio::io_context ioc;
  auto result = asio::co_spawn(ioc, std::move(op), asio::use_future);
  ioc.run();
  return result.get();
}

// Reads data_dir / database / password_cost from the --config file as defaults.
void seed_from_file(Options& o) {
  if (o.config_path.empty()) return;
  auto table = toml::parse_file(o.config_path);
  for (const char* key : {"data-dir", "data_dir"}) {
    if (auto v = table[key].value<std::string>()) o.data_dir = *v;
  }
  if (auto v = table["database"].value<std::string>()) o.database = *v;
  for (const char* key : {"password-cost", "password_cost"}) {
    if (auto v = table[key].value<std::string>()) o.password_cost = *v;
  }
}

std::string read_line_no_echo(const char* prompt) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  termios old{};
  const bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::fputs("\n", stderr);
  return line;
}

// The new password: one line of stdin (--password-stdin) or typed twice on a terminal.
std::optional<std::string> read_new_password(bool from_stdin, int& exit_code) {
  std::string password;
  if (from_stdin) {
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else if (isatty(STDIN_FILENO)) {
    password = read_line_no_echo("New password: ");
    if (read_line_no_echo("Repeat it: ") != password) {
      std::fputs("chatstream: the passwords differ\n", stderr);
      exit_code = 2;
      return std::nullopt;
    }
  } else {
    std::fputs("chatstream: stdin is not a terminal; pass --password-stdin\n", stderr);
    exit_code = 2;
    return std::nullopt;
  }
  if (!auth::acceptable_password(password)) {
    std::fputs("chatstream: a password needs at least 8 characters (at most 1024 bytes)\n", stderr);
    exit_code = 2;
    return std::nullopt;
  }
  return password;
}

void audit(std::string_view event, const std::string& details) {
  std::fprintf(stderr, "audit event=%.*s %s by=cli\n", static_cast<int>(event.size()), event.data(),
               details.c_str());
}

int add_user(store::AccountStore& accounts, const Options& o, auth::PasswordCost cost) {
  store::NewUser nu;
  nu.username = o.name;
  nu.role = *store::user_role_from_string(o.role);
  int exit_code = 0;
  auto password = read_new_password(o.password_stdin, exit_code);
  if (!password) return exit_code;
  nu.password_hash = auth::hash_password(*password, cost);
  auto created = run_sync(accounts.create_user(std::move(nu)));
  if (!created) {
    std::fprintf(stderr, "chatstream: user \"%s\" already exists\n", o.name.c_str());
    return 1;
  }
  audit("user_created", "user_id=" + created->id + " username=\"" + created->username +
                            "\" role=" + std::string(store::to_string(created->role)));
  std::printf("created %s \"%s\" (id %s)\n", std::string(store::to_string(created->role)).c_str(),
              created->username.c_str(), created->id.c_str());
  return 0;
}

int list_users(store::AccountStore& accounts) {
  auto users = run_sync(accounts.list_users());
  std::printf("%-32s %-6s %-9s %s\n", "USERNAME", "ROLE", "STATUS", "CREATED");
  for (const auto& u : users) {
    std::printf("%-32s %-6s %-9s %s\n", u.username.c_str(),
                std::string(store::to_string(u.role)).c_str(), u.disabled ? "disabled" : "active",
                util::format_rfc3339_ms(u.created_at_ms).c_str());
  }
  return 0;
}

// passwd / disable / enable: a patch of the named user; password changes and disabling end the
// user's sessions.
int change_user(store::AccountStore& accounts, const Options& o, const std::string& what,
                auth::PasswordCost cost) {
  auto user = run_sync(accounts.find_user_by_name(o.name));
  if (!user) {
    std::fprintf(stderr, "chatstream: no user \"%s\"\n", o.name.c_str());
    return 1;
  }
  store::UserPatch patch;
  if (what == "passwd") {
    int exit_code = 0;
    auto password = read_new_password(o.password_stdin, exit_code);
    if (!password) return exit_code;
    patch.password_hash = auth::hash_password(*password, cost);
  } else {
    patch.disabled = what == "disable";
  }
  auto updated = run_sync(accounts.update_user(user->id, std::move(patch)));
  if (!updated) {
    std::fprintf(stderr, "chatstream: no user \"%s\"\n", o.name.c_str());
    return 1;
  }
  std::int64_t ended = 0;
  if (what != "enable") {
    ended = run_sync(accounts.delete_user_sessions(user->id, std::nullopt));
  }
  const char* event = what == "passwd"    ? "password_changed"
                      : what == "disable" ? "user_disabled"
                                          : "user_enabled";
  audit(event, "user_id=" + user->id + " username=\"" + user->username +
                   "\" sessions_ended=" + std::to_string(ended));
  std::printf("%s \"%s\"%s\n",
              what == "passwd"    ? "password changed for"
              : what == "disable" ? "disabled"
                                  : "enabled",
              user->username.c_str(),
              ended > 0 ? (" (" + std::to_string(ended) + " sessions ended)").c_str() : "");
  return 0;
}

}  // namespace

int run_user_command(int argc, const char* const* argv) {
  Options o;
  CLI::App app{"Manage user accounts (multi-user mode) in the server's database",
               "chatstream user"};
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--config", o.config_path, "TOML configuration file")
      ->envname("CHATSTREAM_CONFIG");
  app.add_option("--data-dir", o.data_dir, "Directory for the database")
      ->envname("CHATSTREAM_DATA_DIR");
  app.add_option("--database", o.database, "Database URL (default: <data-dir>/chatstream.db)")
      ->envname("CHATSTREAM_DATABASE");
  app.add_option("--password-cost", o.password_cost, "interactive, moderate or minimum (tests)")
      ->envname("CHATSTREAM_PASSWORD_COST")
      ->check(CLI::IsMember({"interactive", "moderate", "minimum"}));
  auto* add = app.add_subcommand("add", "Create a user (asks for the password)");
  add->add_option("name", o.name, "Username")->required();
  add->add_option("--role", o.role, "admin or user")->check(CLI::IsMember({"admin", "user"}));
  add->add_flag("--password-stdin", o.password_stdin, "Read the password from stdin (one line)");
  app.add_subcommand("list", "List users");
  auto* passwd = app.add_subcommand("passwd", "Set a user's password (ends their sessions)");
  passwd->add_option("name", o.name, "Username")->required();
  passwd->add_flag("--password-stdin", o.password_stdin, "Read the password from stdin");
  auto* disable = app.add_subcommand("disable", "Disable a user (sessions and tokens stop)");
  disable->add_option("name", o.name, "Username")->required();
  auto* enable = app.add_subcommand("enable", "Enable a disabled user");
  enable->add_option("name", o.name, "Username")->required();
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    std::string explicit_dir = o.data_dir.string(), explicit_db = o.database;
    const bool dir_given = app.count("--data-dir") > 0, db_given = app.count("--database") > 0;
    seed_from_file(o);
    if (dir_given) o.data_dir = explicit_dir;
    if (db_given) o.database = explicit_db;
    const auto cost = auth::password_cost_from_string(o.password_cost).value();
    store::StoreConfig sc;
    sc.url = database_url(o.data_dir, o.database);
    auto store = store::open_store(sc);
    auto& accounts = store->accounts();
    const auto* sub = app.get_subcommands().front();
    if (sub == add) return add_user(accounts, o, cost);
    if (sub->get_name() == "list") return list_users(accounts);
    return change_user(accounts, o, sub->get_name(), cost);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chatstream: %s\n", e.what());
    return 1;
  }
}

}  // namespace chatstream::app
