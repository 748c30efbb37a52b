// Command-line options of the load generator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace chatstream::loadgen {

enum class TargetKind {
  openai,      // POST /v1/chat/completions with "stream": true
  chatstream,  // POST /api/conversations, POST .../messages, GET /api/messages/{id}/events
  sse,         // GET <path>: plain text/event-stream
};

struct Options {
  TargetKind kind = TargetKind::openai;
  std::string label;  // name of the subject, echoed in the output
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string path;          // default per kind
  std::string model;         // default: <model_prefix>fake:tokens=N,delay_ms=D
  std::string model_prefix;  // e.g. "fake/" for a provider-qualified model name
  std::uint32_t tokens = 100;
  std::uint32_t delay_ms = 0;
  std::uint32_t streams = 10;      // concurrent streams (generations)
  std::uint64_t count = 0;         // total; 0: one per concurrent slot
  double duration_s = 0;           // > 0: keep slots busy until then (closed loop)
  double ramp_s = 0;               // slot i starts at ramp * i / streams
  double grace_s = 30;             // after duration/count: wait this long, then abort
  double idle_timeout_s = 30;      // no byte for this long: timeout error
  std::uint32_t subscribers = 1;   // chatstream: event streams per generation
  std::uint32_t drop = 0;          // chatstream: subscribers to drop and resume
  double drop_at_s = 0;            // when (from the start) to drop them
  std::size_t read_buffer = 8192;  // bytes per stream
  double timeline_step_s = 0.1;    // token counts per time slot in the JSON
  std::string json_path;           // write the JSON result here ("-": stdout)
  bool quiet = false;              // no table
};

// Parses argv; on --help or an error returns nullopt after printing (exit code in `code`).
std::optional<Options> parse_options(int argc, char** argv, int& code);

std::string kind_name(TargetKind k);

}  // namespace chatstream::loadgen
