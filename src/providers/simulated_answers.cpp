// Answer library of the simulated model: pure text generation, no I/O.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "providers/simulated.hpp"

namespace chatstream::providers::simulated {
namespace {

// splitmix64: small, good enough, and identical on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
  }
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool has_word(const std::string& text, std::string_view word) {
  std::size_t pos = 0;
  while ((pos = text.find(word, pos)) != std::string::npos) {
    const bool left = pos == 0 || std::isalnum(static_cast<unsigned char>(text[pos - 1])) == 0;
    const std::size_t end = pos + word.size();
    const bool right =
        end >= text.size() || std::isalnum(static_cast<unsigned char>(text[end])) == 0;
    if (left && right) return true;
    pos = end;
  }
  return false;
}

std::string last_user_text(const ChatRequest& request) {
  for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
    if (it->role == "user") return it->content;
  }
  return {};
}

// Cuts the question for quoting: one line, at most ~120 bytes, on a UTF-8 boundary.
std::string quote(std::string_view q) {
  std::string one_line;
  for (char c : q) one_line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  if (one_line.size() <= 120) return one_line;
  std::size_t cut = 117;
  while (cut > 0 && (static_cast<unsigned char>(one_line[cut]) & 0xC0U) == 0x80U) --cut;
  return one_line.substr(0, cut) + "...";
}

constexpr std::array kOpenings = {
    "Good question. Here is how I would think about it.",
    "Let me break this down step by step.",
    "Short answer: it depends, but there is a clear default.",
    "Here is a practical way to look at it.",
};

constexpr std::array kParagraphs = {
    "The key idea is to separate what changes often from what stays stable. Keep the stable "
    "core small and well tested, and let the parts that change sit behind a narrow interface.",
    "Start with the simplest thing that could work, measure it, and only then optimise the "
    "part that the measurements point at. Guesses about performance are wrong surprisingly often.",
    "A useful rule of thumb: if you cannot explain the design on one page, it is probably doing "
    "too much. Split it until each piece has one clear job.",
    "Errors are part of the normal flow. Decide early which failures are expected (timeouts, "
    "bad input) and handle them as values, and which are bugs that should stop the program.",
    "Streaming changes the user experience more than raw speed does: the first words after a "
    "few hundred milliseconds feel faster than a complete answer after three seconds.",
    "Keep the feedback loop short. Small commits, fast tests and a build that finishes in "
    "minutes make every other improvement cheaper.",
};

constexpr std::array kLists = {
    "1. **Define the goal** in one sentence.\n2. **List the constraints** (time, budget, "
    "tools).\n3. **Pick the smallest next step** and do it today.\n",
    "- Read the error message twice 🔍\n- Reproduce it with the smallest input\n- Fix the "
    "cause, not the symptom\n- Add a test so it stays fixed ✅\n",
    "- *Latency*: how long until the first result\n- *Throughput*: how much per second\n- "
    "*Cost*: what each request really costs 💸\n",
};

constexpr std::array kTables = {
    "| Option | Pros | Cons |\n|---|---|---|\n| Simple | Easy to read | Less flexible |\n"
    "| Generic | Reusable | Harder to debug |\n| Hybrid | Balanced | Needs discipline |\n",
    "| Language | Typing | Typical use |\n|---|---|---|\n| Python | dynamic | scripts, data |\n"
    "| Rust | static | systems, CLIs |\n| TypeScript | static (gradual) | web apps |\n",
};

constexpr std::array kCodePairs = {
    "```python\ndef mean(values: list[float]) -> float:\n    if not values:\n        raise "
    "ValueError(\"empty input\")\n    return sum(values) / len(values)\n```\n\nThe same in "
    "JavaScript:\n\n```javascript\nfunction mean(values) {\n  if (values.length === 0) throw new "
    "Error(\"empty input\");\n  return values.reduce((a, b) => a + b, 0) / "
    "values.length;\n}\n```\n",
    "```rust\nfn word_count(text: &str) -> usize {\n    text.split_whitespace().count()\n}\n```\n"
    "\nAnd in Go:\n\n```go\nfunc WordCount(text string) int {\n\treturn "
    "len(strings.Fields(text))\n}\n```\n",
    "```cpp\n#include <numeric>\n#include <vector>\n\ndouble sum(const std::vector<double>& v) {\n"
    "  return std::accumulate(v.begin(), v.end(), 0.0);\n}\n```\n\nOr with a shell one-liner:\n\n"
    "```bash\nawk '{ s += $1 } END { print s }' numbers.txt\n```\n",
};

constexpr std::array kWorldly = {
    "> 千里之行，始于足下。 (A journey of a thousand miles begins with a single step.) 🚶\n",
    "> 七転び八起き — fall seven times, stand up eight. 💪🙂\n",
    "> 학문에는 왕도가 없다: there is no royal road to learning. 📚✨\n",
};

std::string greeting(Rng& rng) {
  constexpr std::array kHello = {
      "Hello! 👋 I'm the **simulated** model built into chatstream. I run fully offline, so I "
      "answer instantly and for free, but I don't really understand you.\n\nTry asking me for:\n\n"
      "- a *table* of something\n- a *Python function*\n- a *long* answer\n- a *markdown* demo\n",
      "Hi there! 😊 This is the offline **simulated** model. I stream realistic Markdown so you "
      "can try the interface without an API key.\n\nAsk for a table, some code, or a long "
      "answer. こんにちは！\n",
  };
  return kHello[rng.pick(kHello.size())];
}

std::string python_answer(const std::string& q) {
  std::string out = "Here is a small, tested Python function for that:\n\n";
  out +=
      "```python\nfrom collections import Counter\n\n\ndef top_words(text: str, n: int = 3) -> "
      "list[tuple[str, int]]:\n    \"\"\"Return the n most common words in text.\"\"\"\n    "
      "words = [w.strip(\".,!?;:\").lower() for w in text.split()]\n    return "
      "Counter(w for w in words if w).most_common(n)\n\n\nif __name__ == \"__main__\":\n    "
      "print(top_words(\"the cat and the hat and the bat\"))\n```\n\n";
  out +=
      "### How it works\n\n1. `split()` breaks the text on whitespace.\n2. Punctuation is "
      "stripped and words are lower-cased.\n3. `Counter.most_common` does the ranking.\n\n";
  out += "Running it prints `[('the', 3), ('and', 2), ('cat', 1)]`. ";
  out += "You asked: *" + quote(q) + "*, so adapt the names to your case. 🐍\n";
  return out;
}

std::string table_answer(const std::string& q, Rng& rng) {
  std::string out = "Here is a comparison table for *" + quote(q) + "*:\n\n";
  out += kTables[rng.pick(kTables.size())];
  out +=
      "\n| Metric | Value | Note |\n|---:|:---:|---|\n| Requests | 1,024 | per minute |\n"
      "| Latency p50 | 180 ms | first token |\n| Latency p99 | 1.2 s | 🐢 under load |\n";
  out +=
      "\nThe first table is qualitative, the second one uses right-aligned and centered "
      "columns.\n";
  return out;
}

std::string markdown_answer() {
  return "# Markdown showcase\n\n## Text\n\nThis is **bold**, this is *italic*, this is "
         "~~struck~~, and this is `inline code`. A [link](https://example.com) too.\n\n"
         "## Lists\n\n- Apples 🍎\n- Pears 🍐\n  - nested item\n- 日本語のリスト項目\n\n1. First\n"
         "2. Second\n3. Third\n\n## Table\n\n| Symbol | Meaning |\n|---|---|\n| ✅ | done |\n"
         "| ⏳ | waiting |\n| ❌ | failed |\n\n## Code\n\n```typescript\nconst greet = (name: "
         "string): string => `Hello, ${name}!`;\n```\n\n```sql\nSELECT id, title FROM "
         "conversations ORDER BY updated_at DESC LIMIT 10;\n```\n\n> A blockquote, with a "
         "footnote-like remark.\n\n---\n\nThat's all: 你好，世界！ 👩‍💻\n";
}

std::string general_answer(const std::string& q, Rng& rng, int sections) {
  std::string out;
  if (!q.empty()) out += "You asked: “" + quote(q) + "”\n\n";
  out += kOpenings[rng.pick(kOpenings.size())];
  out += "\n\n";
  for (int s = 0; s < sections; ++s) {
    out += "## " + std::string(s == 0 ? "Overview" : "Part ") +
           (s == 0 ? "" : std::to_string(s + 1)) + "\n\n";
    out += kParagraphs[rng.pick(kParagraphs.size())];
    out += "\n\n";
    switch (rng.pick(4)) {
      case 0:
        out += kLists[rng.pick(kLists.size())];
        break;
      case 1:
        out += kTables[rng.pick(kTables.size())];
        break;
      case 2:
        out += kCodePairs[rng.pick(kCodePairs.size())];
        break;
      default:
        out += kWorldly[rng.pick(kWorldly.size())];
        break;
    }
    out += "\n";
    out += kParagraphs[rng.pick(kParagraphs.size())];
    out += "\n\n";
  }
  if (sections == 1) {
    out += kCodePairs[rng.pick(kCodePairs.size())];
    out += "\n";
    out += kWorldly[rng.pick(kWorldly.size())];
    out += "\n";
  }
  out += "**In short:** start small, measure, and iterate. 🚀\n";
  return out;
}

}  // namespace

std::string answer_for(const ChatRequest& request, std::uint64_t seed) {
  const std::string q = last_user_text(request);
  const std::string lq = lower(q);
  Rng rng(fnv1a(request.system_prompt, fnv1a(q, seed ^ 0x5eedULL)));
  if (has_word(lq, "hello") || has_word(lq, "hi") || has_word(lq, "hey") || lq.empty()) {
    return greeting(rng);
  }
  if (has_word(lq, "python") && lq.find("function") != std::string::npos) return python_answer(q);
  if (has_word(lq, "markdown")) return markdown_answer();
  if (has_word(lq, "table")) return table_answer(q, rng);
  if (has_word(lq, "long")) return general_answer(q, rng, 24);
  return general_answer(q, rng, 1 + static_cast<int>(rng.pick(2)));
}

}  // namespace chatstream::providers::simulated
