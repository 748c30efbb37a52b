#include "options.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>

namespace chatstream::loadgen {

std::string kind_name(TargetKind k) {
  switch (k) {
    case TargetKind::openai:
      return "openai";
    case TargetKind::chatstream:
      return "chatstream";
    case TargetKind::sse:
      return "sse";
  }
  return "?";
}

namespace {

void add_load_options(CLI::App& app, Options& o) {
  app.add_option("--streams,-c", o.streams, "Concurrent streams (generations)")
      ->capture_default_str();
  app.add_option("--count,-n", o.count, "Total streams (default: one per concurrent slot)");
  app.add_option("--duration,-d", o.duration_s, "Seconds to keep every slot busy (closed loop)");
  app.add_option("--ramp", o.ramp_s, "Seconds over which the slots start")->capture_default_str();
  app.add_option("--grace", o.grace_s, "Seconds to wait for streams in flight at the end")
      ->capture_default_str();
  app.add_option("--idle-timeout", o.idle_timeout_s, "Seconds without a byte before a stream fails")
      ->capture_default_str();
  app.add_option("--subscribers", o.subscribers, "chatstream: event streams per generation")
      ->capture_default_str();
  app.add_option("--drop", o.drop, "chatstream: subscribers that drop and resume (Last-Event-ID)");
  app.add_option("--drop-at", o.drop_at_s, "Seconds from the start when they drop");
  app.add_option("--read-buffer", o.read_buffer, "Read buffer per stream (bytes)")
      ->capture_default_str();
  app.add_option("--timeline-step", o.timeline_step_s, "Seconds per timeline slot in the JSON")
      ->capture_default_str();
}

}  // namespace

std::optional<Options> parse_options(int argc, char** argv, int& code) {
  Options o;
  CLI::App app{"loadgen: concurrent streaming load against an LLM relay", "loadgen"};
  std::map<std::string, TargetKind> kinds{{"openai", TargetKind::openai},
                                          {"chatstream", TargetKind::chatstream},
                                          {"sse", TargetKind::sse}};
  app.add_option("--kind,-k", o.kind, "Target kind: openai | chatstream | sse")
      ->transform(CLI::CheckedTransformer(kinds, CLI::ignore_case));
  app.add_option("--label", o.label, "Name of the subject (echoed in the output)");
  app.add_option("--host", o.host, "Target address (numeric)")->capture_default_str();
  app.add_option("--port,-p", o.port, "Target port")->required();
  app.add_option("--path", o.path, "Request path (default per kind)");
  app.add_option("--model", o.model, "Model name (default: fake:tokens=N,delay_ms=D)");
  app.add_option("--model-prefix", o.model_prefix, "Prefix of the default model name (fake/)");
  app.add_option("--tokens,-t", o.tokens, "Tokens per stream")->capture_default_str();
  app.add_option("--delay-ms", o.delay_ms, "Upstream delay between tokens")->capture_default_str();
  add_load_options(app, o);
  app.add_option("--json", o.json_path, "Write the JSON result to this file (- for stdout)");
  app.add_flag("--quiet,-q", o.quiet, "Do not print the table");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    code = app.exit(e);
    return std::nullopt;
  }
  if (o.streams == 0 || o.subscribers == 0 || o.read_buffer < 256) {
    std::cerr << "loadgen: --streams, --subscribers must be > 0, --read-buffer >= 256\n";
    code = 2;
    return std::nullopt;
  }
  if (o.count == 0) o.count = o.streams;
  if (o.path.empty()) {
    o.path = o.kind == TargetKind::openai ? "/v1/chat/completions" : "/sse";
  }
  if (o.model.empty()) {
    o.model = o.model_prefix + "fake:tokens=" + std::to_string(o.tokens) +
              ",delay_ms=" + std::to_string(o.delay_ms);
  }
  if (o.kind == TargetKind::sse && o.path.find('?') == std::string::npos) {
    o.path += "?tokens=" + std::to_string(o.tokens) + "&delay_ms=" + std::to_string(o.delay_ms);
  }
  if (o.label.empty()) o.label = kind_name(o.kind);
  return o;
}

}  // namespace chatstream::loadgen
