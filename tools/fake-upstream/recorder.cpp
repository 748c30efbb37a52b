#include "recorder.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace chatstream::fake_upstream {
namespace {

namespace json = boost::json;

double epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

json::object request_object(const Request& r) {
  json::object o;
  o["method"] = r.method;
  o["target"] = r.target;
  o["path"] = r.path;
  o["query"] = r.query;
  o["http_version"] = r.version == 10 ? "1.0" : "1.1";
  json::array headers;
  json::object header_map;
  for (const auto& [k, v] : r.headers) {
    headers.push_back(json::array{json::string(k), json::string(v)});
    auto key = lower(k);
    if (auto* existing = header_map.if_contains(key)) {
      std::string joined(existing->get_string());
      joined.append(", ").append(v);
      *existing = joined;
    } else {
      header_map[key] = v;
    }
  }
  o["headers"] = std::move(headers);
  o["header_map"] = std::move(header_map);
  o["body"] = r.body;
  boost::system::error_code ec;
  json::value parsed = json::parse(r.body, ec);
  o["body_json"] = ec ? json::value(nullptr) : std::move(parsed);
  o["received_at_ms"] = epoch_ms(r.received_at);
  return o;
}

}  // namespace

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::in_progress:
      return "in_progress";
    case Outcome::completed:
      return "completed";
    case Outcome::client_disconnected:
      return "client_disconnected";
    case Outcome::reset:
      return "reset";
    case Outcome::closed:
      return "closed";
    case Outcome::eof:
      return "eof";
  }
  return "unknown";
}

std::uint64_t Recorder::add(const Request& r, std::uint64_t connection_id,
                            std::size_t seq_on_connection, bool tls,
                            std::string_view controls_summary) {
  std::lock_guard lock(mutex_);
  Record rec;
  rec.id = next_id_++;
  rec.connection_id = connection_id;
  rec.seq_on_connection = seq_on_connection;
  rec.tls = tls;
  rec.request = r;
  rec.controls = controls_summary;
  rec.result.outcome = Outcome::in_progress;
  rec.result.status = 0;
  records_.push_back(std::move(rec));
  while (records_.size() > capacity_) records_.pop_front();
  return records_.back().id;
}

void Recorder::finish(std::uint64_t id, const ExchangeResult& result) {
  if (result.outcome == Outcome::client_disconnected) ++client_disconnects_;
  if (result.outcome == Outcome::reset) ++resets_;
  std::lock_guard lock(mutex_);
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (it->id != id) continue;
    it->result = result;
    it->done = true;
    it->finished_at = std::chrono::system_clock::now();
    return;
  }
}

std::string Recorder::requests_json() const {
  json::array out;
  std::lock_guard lock(mutex_);
  for (const auto& rec : records_) {
    json::object o = request_object(rec.request);
    o["id"] = rec.id;
    o["connection_id"] = rec.connection_id;
    o["seq_on_connection"] = rec.seq_on_connection;
    o["tls"] = rec.tls;
    o["controls"] = rec.controls;
    o["outcome"] = outcome_name(rec.result.outcome);
    o["status"] = rec.result.status;
    o["tokens_sent"] = rec.result.tokens_sent;
    o["finished_at_ms"] = rec.done ? json::value(epoch_ms(rec.finished_at)) : json::value(nullptr);
    if (rec.result.outcome == Outcome::client_disconnected) {
      o["disconnect_at_ms"] = epoch_ms(rec.result.disconnect_at);
    } else {
      o["disconnect_at_ms"] = nullptr;
    }
    out.push_back(std::move(o));
  }
  return json::serialize(out);
}

void Recorder::clear() {
  std::lock_guard lock(mutex_);
  records_.clear();
  attempts_.clear();
}

std::uint64_t Recorder::next_attempt(const std::string& key) {
  std::lock_guard lock(mutex_);
  return ++attempts_[key];
}

std::string Recorder::stats_json() const {
  json::object o;
  o["connections_accepted"] = accepted_.load();
  o["connections_open"] = open_.load();
  o["requests"] = requests_.load();
  o["streams_active"] = streams_active_.load();
  o["client_disconnects"] = client_disconnects_.load();
  o["resets"] = resets_.load();
  return json::serialize(o);
}

}  // namespace chatstream::fake_upstream
