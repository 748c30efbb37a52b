// The backend-independent store suite, part 1: conversations, messages, users, text.
#include <set>
#include <thread>

#include "store_test_support.hpp"
#include "util/id.hpp"

namespace chatstream::store::test {
namespace {

namespace asio = boost::asio;

TEST_P(StoreSuite, CreateAndGetConversation) {
  NewConversation n;
  n.title = "First chat";
  n.model = "gpt-x";
  n.system_prompt = "Be brief.";
  const Conversation c = sync(store_->create_conversation(n));
  EXPECT_TRUE(util::is_valid_id(c.id));
  EXPECT_EQ(c.user_id, "local");
  EXPECT_EQ(c.created_at_ms, t0);
  EXPECT_EQ(c.updated_at_ms, t0);
  EXPECT_FALSE(c.current_leaf_id.has_value());

  const auto got = sync(store_->get_conversation("local", c.id));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, c.id);
  EXPECT_EQ(got->title, "First chat");
  EXPECT_EQ(got->model, "gpt-x");
  EXPECT_EQ(got->system_prompt, "Be brief.");
  EXPECT_EQ(got->created_at_ms, t0);
  EXPECT_FALSE(sync(store_->get_conversation("local", util::new_id())).has_value());
  EXPECT_FALSE(sync(store_->get_conversation("local", "not-an-id")).has_value());
}

TEST_P(StoreSuite, UpdatePatchesOnlyGivenFields) {
  const Conversation c = make_conversation("old title");
  advance(1000);
  ConversationPatch patch;
  patch.title = "new title";
  const auto updated = sync(store_->update_conversation("local", c.id, patch));
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->title, "new title");
  EXPECT_EQ(updated->model, "simulated");
  EXPECT_EQ(updated->updated_at_ms, t0 + 1000);
  EXPECT_EQ(updated->created_at_ms, t0);

  patch = {};
  patch.model = "other";
  patch.system_prompt = "";
  const auto again = sync(store_->update_conversation("local", c.id, patch)).value();
  EXPECT_EQ(again.title, "new title");
  EXPECT_EQ(again.model, "other");

  const auto missing = sync(store_->update_conversation("local", util::new_id(), patch));
  ASSERT_TRUE(missing.has_error());
  EXPECT_EQ(missing.error(), Errc::not_found);
}

TEST_P(StoreSuite, CurrentLeafMustBelongToConversation) {
  const Conversation a = make_conversation("a");
  const Conversation b = make_conversation("b");
  const Message a1 = add(a, Role::user, "hi");
  const Message a2 = add(a, Role::assistant, "hello", a1.id);
  const Message b1 = add(b, Role::user, "other");
  advance(5000);

  ConversationPatch patch;
  patch.current_leaf_id = a1.id;
  const auto moved = sync(store_->update_conversation("local", a.id, patch)).value();
  EXPECT_EQ(moved.current_leaf_id, a1.id);
  // Switching branches is navigation: the conversation does not move up the list.
  EXPECT_EQ(moved.updated_at_ms, t0);

  patch.current_leaf_id = b1.id;
  const auto wrong = sync(store_->update_conversation("local", a.id, patch));
  ASSERT_TRUE(wrong.has_error());
  EXPECT_EQ(wrong.error(), Errc::invalid_leaf);
  patch.current_leaf_id = util::new_id();
  EXPECT_EQ(sync(store_->update_conversation("local", a.id, patch)).error(), Errc::invalid_leaf);
  EXPECT_EQ(sync(store_->get_conversation("local", a.id))->current_leaf_id, a1.id);
  (void)a2;
}

TEST_P(StoreSuite, DeleteCascadesToMessages) {
  const Conversation c = make_conversation("doomed");
  const Conversation keep = make_conversation("kept");
  const Message m1 = add(c, Role::user, "q");
  const Message m2 = add(c, Role::assistant, "a", m1.id);
  const Message k1 = add(keep, Role::user, "stays");

  EXPECT_TRUE(sync(store_->delete_conversation("local", c.id)));
  EXPECT_FALSE(sync(store_->get_conversation("local", c.id)).has_value());
  EXPECT_FALSE(sync(store_->get_message("local", m1.id)).has_value());
  EXPECT_FALSE(sync(store_->get_message("local", m2.id)).has_value());
  EXPECT_TRUE(sync(store_->list_messages("local", c.id)).empty());
  EXPECT_TRUE(sync(store_->get_branch("local", m2.id)).empty());
  EXPECT_FALSE(sync(store_->delete_conversation("local", c.id)));
  EXPECT_TRUE(sync(store_->get_message("local", k1.id)).has_value());
  EXPECT_EQ(sync(store_->list_messages("local", keep.id)).size(), 1U);
}

TEST_P(StoreSuite, ListsNewestUpdatedFirstWithKeysetPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) {
    ids.push_back(make_conversation("chat " + std::to_string(i)).id);
    advance(10);
  }
  ListConversations q;
  q.limit = 10;
  std::vector<std::string> seen;
  std::vector<std::size_t> sizes;
  for (int page = 0; page < 10; ++page) {
    const auto result = sync(store_->list_conversations(q));
    sizes.push_back(result.conversations.size());
    for (const auto& c : result.conversations) seen.push_back(c.id);
    if (page == 0) {
      // A conversation created between pages must not shift the next pages.
      advance(10);
      make_conversation("newcomer");
    }
    if (!result.next_before) break;
    q.before = result.next_before;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 5}));
  std::vector<std::string> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, expected);
}

TEST_P(StoreSuite, NewMessageMovesConversationToTop) {
  const Conversation older = make_conversation("older");
  advance(10);
  const Conversation newer = make_conversation("newer");
  advance(10);
  add(older, Role::user, "bump");
  const auto page = sync(store_->list_conversations({}));
  ASSERT_EQ(page.conversations.size(), 2U);
  EXPECT_EQ(page.conversations[0].id, older.id);
  EXPECT_EQ(page.conversations[0].updated_at_ms, t0 + 20);
  EXPECT_EQ(page.conversations[1].id, newer.id);
  EXPECT_FALSE(page.next_before.has_value());
}

TEST_P(StoreSuite, SameTimestampsStillPageWithoutGapsOrDuplicates) {
  std::set<std::string> ids;
  for (int i = 0; i < 7; ++i) ids.insert(make_conversation("same time").id);
  ListConversations q;
  q.limit = 3;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    const auto result = sync(store_->list_conversations(q));
    for (const auto& c : result.conversations) seen.push_back(c.id);
    if (!result.next_before) break;
    q.before = result.next_before;
  }
  EXPECT_EQ(seen.size(), 7U);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), ids);
}

TEST_P(StoreSuite, ConversationIdWorksAsCursor) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(make_conversation("c" + std::to_string(i)).id);
    advance(1);
  }
  ListConversations q;
  q.before = ids[3];
  const auto page = sync(store_->list_conversations(q));
  ASSERT_EQ(page.conversations.size(), 3U);
  EXPECT_EQ(page.conversations[0].id, ids[2]);
  EXPECT_EQ(page.conversations[2].id, ids[0]);
  q.before = util::new_id();  // unknown: empty page, not an error
  EXPECT_TRUE(sync(store_->list_conversations(q)).conversations.empty());
  q.before = "garbage:cursor";
  EXPECT_TRUE(sync(store_->list_conversations(q)).conversations.empty());
}

TEST_P(StoreSuite, TitleSearch) {
  make_conversation("Rust lifetimes");
  make_conversation("Cooking RICE");
  make_conversation("100% done");
  make_conversation("1000 done");
  make_conversation("snake_case names");
  make_conversation("snakeXcase names");
  make_conversation(
      "Gr\xC3\xBC\xC3\x9F"
      "e aus K\xC3\xB6ln");
  const auto titles = [this](const std::string& text) {
    ListConversations q;
    q.title_query = text;
    std::set<std::string> out;
    for (const auto& c : sync(store_->list_conversations(q)).conversations) out.insert(c.title);
    return out;
  };
  EXPECT_EQ(titles("rice"), (std::set<std::string>{"Cooking RICE"}));
  EXPECT_EQ(titles("RUST"), (std::set<std::string>{"Rust lifetimes"}));
  EXPECT_EQ(titles("%"), (std::set<std::string>{"100% done"}));
  EXPECT_EQ(titles("_"), (std::set<std::string>{"snake_case names"}));
  EXPECT_EQ(titles("K\xC3\xB6ln").size(), 1U);
  EXPECT_TRUE(titles("nothing like this").empty());
  EXPECT_EQ(titles("").size(), 7U);

  ListConversations paged;
  paged.title_query = "done";
  paged.limit = 1;
  const auto first = sync(store_->list_conversations(paged));
  ASSERT_EQ(first.conversations.size(), 1U);
  ASSERT_TRUE(first.next_before.has_value());
  paged.before = first.next_before;
  const auto second = sync(store_->list_conversations(paged));
  ASSERT_EQ(second.conversations.size(), 1U);
  EXPECT_NE(second.conversations[0].id, first.conversations[0].id);
  EXPECT_FALSE(second.next_before.has_value());
}

TEST_P(StoreSuite, MessagesFormATree) {
  const Conversation c = make_conversation("tree");
  const Message u1 = add(c, Role::user, "question");
  const Message a1 = add(c, Role::assistant, "answer 1", u1.id);
  const Message a2 = add(c, Role::assistant, "answer 2 (regenerated)", u1.id);
  const Message u2 = add(c, Role::user, "follow-up", a1.id);
  const Message u1b = add(c, Role::user, "edited question");  // a second root: an edit

  const auto all = sync(store_->list_messages("local", c.id));
  ASSERT_EQ(all.size(), 5U);
  std::vector<std::string> order;
  for (const auto& m : all) order.push_back(m.id);
  EXPECT_EQ(order, (std::vector<std::string>{u1.id, a1.id, a2.id, u2.id, u1b.id}));
  EXPECT_EQ(all[1].parent_id, u1.id);
  EXPECT_EQ(all[2].parent_id, u1.id);
  EXPECT_FALSE(all[4].parent_id.has_value());
  EXPECT_EQ(all[2].role, Role::assistant);

  const auto branch = sync(store_->get_branch("local", u2.id));
  ASSERT_EQ(branch.size(), 3U);
  EXPECT_EQ(branch[0].id, u1.id);
  EXPECT_EQ(branch[1].id, a1.id);
  EXPECT_EQ(branch[2].id, u2.id);
  const auto other = sync(store_->get_branch("local", a2.id));
  ASSERT_EQ(other.size(), 2U);
  EXPECT_EQ(other[1].content, "answer 2 (regenerated)");
  EXPECT_EQ(sync(store_->get_branch("local", u1b.id)).size(), 1U);
  EXPECT_TRUE(sync(store_->get_branch("local", util::new_id())).empty());

  EXPECT_EQ(sync(store_->get_conversation("local", c.id))->current_leaf_id, u1b.id);
}

TEST_P(StoreSuite, InsertIsAtomicAndValidatesParents) {
  const Conversation c = make_conversation("c");
  const Conversation other = make_conversation("other");
  const Message foreign = add(other, Role::user, "elsewhere");

  Message user;
  user.role = Role::user;
  user.content = "hello";
  user.id = util::new_id();
  Message assistant;
  assistant.role = Role::assistant;
  assistant.status = MessageStatus::streaming;
  assistant.parent_id = user.id;  // parent inserted by the same call
  auto stored = sync(store_->insert_messages("local", c.id, {user, assistant}));
  ASSERT_TRUE(stored.has_value());
  ASSERT_EQ(stored->size(), 2U);
  EXPECT_EQ((*stored)[0].id, user.id);
  EXPECT_TRUE(util::is_valid_id((*stored)[1].id));
  EXPECT_EQ((*stored)[1].conversation_id, c.id);
  EXPECT_EQ((*stored)[1].created_at_ms, t0);
  EXPECT_EQ(sync(store_->get_conversation("local", c.id))->current_leaf_id, (*stored)[1].id);

  Message good;
  good.content = "would be fine";
  Message bad;
  bad.content = "bad parent";
  bad.parent_id = foreign.id;
  const auto rejected = sync(store_->insert_messages("local", c.id, {good, bad}));
  ASSERT_TRUE(rejected.has_error());
  EXPECT_EQ(rejected.error(), Errc::invalid_parent);
  EXPECT_EQ(sync(store_->list_messages("local", c.id)).size(), 2U);  // nothing written

  bad.parent_id = util::new_id();
  EXPECT_EQ(sync(store_->insert_messages("local", c.id, {bad})).error(), Errc::invalid_parent);
  EXPECT_EQ(sync(store_->insert_messages("local", util::new_id(), {good})).error(),
            Errc::not_found);
}

TEST_P(StoreSuite, DuplicateIdFailsAloneAndStoreStaysUsable) {
  const Conversation c = make_conversation("dup");
  const Message m = add(c, Role::user, "original");
  Message copy;
  copy.id = m.id;
  copy.content = "copy";
  EXPECT_THROW(sync(store_->insert_messages("local", c.id, {copy})), StoreFailure);
  EXPECT_EQ(sync(store_->get_message("local", m.id))->content, "original");
  const Message next = add(c, Role::assistant, "still works", m.id);
  EXPECT_EQ(sync(store_->list_messages("local", c.id)).size(), 2U);
  EXPECT_EQ(next.parent_id, m.id);
}

TEST_P(StoreSuite, OtherUsersDataBehavesAsNotFound) {
  const Conversation mine = make_conversation("alice's", "alice");
  const Message q = add(mine, Role::user, "secret");
  const Message a = add(mine, Role::assistant, "answer", q.id);

  EXPECT_FALSE(sync(store_->get_conversation("bob", mine.id)).has_value());
  ListConversations list;
  list.user_id = "bob";
  EXPECT_TRUE(sync(store_->list_conversations(list)).conversations.empty());
  list.before = mine.id;  // alice's id as bob's cursor
  EXPECT_TRUE(sync(store_->list_conversations(list)).conversations.empty());
  EXPECT_TRUE(sync(store_->list_messages("bob", mine.id)).empty());
  EXPECT_FALSE(sync(store_->get_message("bob", q.id)).has_value());
  EXPECT_TRUE(sync(store_->get_branch("bob", a.id)).empty());
  ConversationPatch patch;
  patch.title = "hijacked";
  EXPECT_EQ(sync(store_->update_conversation("bob", mine.id, patch)).error(), Errc::not_found);
  EXPECT_FALSE(sync(store_->delete_conversation("bob", mine.id)));
  Message intruder;
  intruder.content = "injected";
  EXPECT_EQ(sync(store_->insert_messages("bob", mine.id, {intruder})).error(), Errc::not_found);

  // Bob's own conversation cannot adopt alice's messages as parent or leaf.
  const Conversation bobs = make_conversation("bob's", "bob");
  intruder.parent_id = q.id;
  EXPECT_EQ(sync(store_->insert_messages("bob", bobs.id, {intruder})).error(),
            Errc::invalid_parent);
  patch = {};
  patch.current_leaf_id = a.id;
  EXPECT_EQ(sync(store_->update_conversation("bob", bobs.id, patch)).error(), Errc::invalid_leaf);

  const auto still = sync(store_->get_conversation("alice", mine.id));
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->title, "alice's");
  EXPECT_EQ(sync(store_->list_messages("alice", mine.id)).size(), 2U);
  list = {};
  list.user_id = "alice";
  EXPECT_EQ(sync(store_->list_conversations(list)).conversations.size(), 1U);
  EXPECT_TRUE(sync(store_->list_conversations({})).conversations.empty());  // user "local"
}

TEST_P(StoreSuite, TextRoundTripsAndIsNormalisedToUtf8) {
  const std::string unicode =
      "emoji \xF0\x9F\x98\x80\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD, CJK \xE4\xB8\xAD\xE6\x96\x87, "
      "RTL \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D, combining e\xCC\x81, quotes '\" \\ ; -- DROP";
  std::string big(1 << 20, 'x');
  big += unicode;
  const Conversation c = make_conversation(unicode);
  EXPECT_EQ(c.title, unicode);
  const Message m = add(c, Role::user, unicode);
  const Message b = add(c, Role::assistant, big, m.id);
  EXPECT_EQ(sync(store_->get_message("local", m.id))->content, unicode);
  EXPECT_EQ(sync(store_->get_message("local", b.id))->content, big);
  EXPECT_EQ(sync(store_->get_conversation("local", c.id))->title, unicode);

  const std::string invalid = std::string("ok \xFF\xFE bad \xC3", 11) + std::string("\0nul", 4);
  const std::string expected = "ok \xEF\xBF\xBD\xEF\xBF\xBD bad \xEF\xBF\xBD\xEF\xBF\xBDnul";
  const Message bad = add(c, Role::user, invalid);
  EXPECT_EQ(bad.content, expected);
  EXPECT_EQ(sync(store_->get_message("local", bad.id))->content, expected);
  const Conversation titled = make_conversation(invalid);
  EXPECT_EQ(titled.title, expected);
  EXPECT_EQ(sync(store_->get_conversation("local", titled.id))->title, expected);
}

TEST_P(StoreSuite, BrokenDatabasesFailWithAClearError) {
  for (const auto& [config, expected] : backend_->broken_configs()) {
    try {
      auto store = open_store(config);
      ADD_FAILURE() << "opened " << config.url;
    } catch (const StoreFailure& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos)
          << "message: " << e.what() << "\nexpected to contain: " << expected;
    }
  }
}

TEST_P(StoreSuite, PingAndStats) {
  EXPECT_TRUE(sync(store_->ping()));
  const auto before = store_->stats();
  make_conversation("x");
  const auto after = store_->stats();
  EXPECT_GE(after.write_transactions, before.write_transactions + 1);
  EXPECT_GE(after.rows_written, before.rows_written + 1);
  EXPECT_EQ(after.queue_depth, 0U);
}

asio::awaitable<std::pair<std::thread::id, std::thread::id>> thread_ids(Store& store) {
  const auto before = std::this_thread::get_id();
  co_await store.get_conversation("local", util::new_id());
  NewConversation n;
  n.title = "t";
  co_await store.create_conversation(n);
  co_return std::make_pair(before, std::this_thread::get_id());
}

TEST_P(StoreSuite, ResumesOnTheCallersExecutor) {
  const auto [before, after] = sync(thread_ids(*store_));
  EXPECT_EQ(before, std::this_thread::get_id());
  EXPECT_EQ(after, std::this_thread::get_id());
}

}  // namespace
}  // namespace chatstream::store::test
