// The official openai SDK against chatstream's /v1 gateway. fake-upstream plays the OpenAI,
// Anthropic and Ollama providers; its own answers are the expected text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';

import { startStack, stopStack } from './stack.mjs';

const TOKEN = 'sk-conformance-token';
let stack;
let client;

before(async () => {
  stack = await startStack({ token: TOKEN });
  client = new OpenAI({
    baseURL: `http://127.0.0.1:${stack.port}/v1`,
    apiKey: TOKEN,
    maxRetries: 0,
    timeout: 30000,
  });
});

after(async () => {
  if (stack) await stopStack(stack);
});

const fakeUrl = (p) => `http://127.0.0.1:${stack.fakePort}${p}`;

// What fake-upstream generates for these controls, asked directly (non-streaming, OpenAI).
async function expectedText(controls) {
  const res = await fetch(fakeUrl('/v1/chat/completions'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: `fake:${controls}`,
      messages: [{ role: 'user', content: 'Say hello' }],
    }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).choices[0].message.content;
}

// fake-upstream's record of the latest request for `model` once it has an outcome.
async function upstreamOutcome(model, limitMs = 10000) {
  const deadline = Date.now() + limitMs;
  let outcome = '';
  while (Date.now() < deadline) {
    const records = await (await fetch(fakeUrl('/_fake/requests'))).json();
    for (const r of records) {
      if (r.body_json?.model === model) outcome = r.outcome;
    }
    if (outcome && outcome !== 'in_progress') return outcome;
    await sleep(20);
  }
  return outcome;
}

async function collect(stream) {
  let text = '';
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  return { text, chunks };
}

const messages = [{ role: 'user', content: 'Say hello' }];

describe('streaming from each upstream dialect', () => {
  for (const provider of ['fo', 'fa', 'fl']) {
    test(`${provider}: for await collects the upstream text`, async () => {
      const controls = 'tokens=15,delay_ms=2';
      const stream = await client.chat.completions.create({
        model: `${provider}/fake:${controls}`,
        messages,
        stream: true,
      });
      const { text, chunks } = await collect(stream);
      assert.equal(text, await expectedText(controls));
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
      assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
      assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
    });
  }

  test('simulated model streams', async () => {
    const stream = await client.chat.completions.create({
      model: 'simulated', messages, stream: true,
    });
    const { text } = await collect(stream);
    assert.ok(text.length > 0);
  });
});

test('stream_options.include_usage yields usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'fo/fake:tokens=6',
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  const { chunks } = await collect(stream);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage.completion_tokens > 0);
  assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
});

test('non-streaming completion', async () => {
  const completion = await client.chat.completions.create({
    model: 'fa/fake:tokens=9', messages,
  });
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.choices[0].message.role, 'assistant');
  assert.equal(completion.choices[0].message.content, await expectedText('tokens=9'));
  assert.ok(completion.usage.completion_tokens > 0);
});

test('models.list()', async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  for (const id of ['fake-gpt', 'fake-claude', 'fake-llama', 'simulated']) {
    assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
  }
});

test('a mid-stream upstream error surfaces as the SDK error', async () => {
  const stream = await client.chat.completions.create({
    model: 'fo/fake:tokens=30,fault=reset_after:4',
    messages,
    stream: true,
  });
  let text = '';
  await assert.rejects(
    (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })(),
    (err) => err instanceof OpenAI.APIError,
  );
  assert.ok(text.length > 0, 'some text arrived before the error');
});

test('an upstream error before streaming keeps its status', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'fo/fake:status=429', messages, stream: true }),
    (err) => err instanceof OpenAI.RateLimitError && err.status === 429,
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model', messages }),
    (err) => err instanceof OpenAI.NotFoundError && err.code === 'model_not_found',
  );
});

test('a bad token gives AuthenticationError', async () => {
  const bad = new OpenAI({
    baseURL: `http://127.0.0.1:${stack.port}/v1`, apiKey: 'sk-wrong', maxRetries: 0,
  });
  await assert.rejects(
    bad.chat.completions.create({ model: 'fo/fake:tokens=2', messages }),
    (err) => err instanceof OpenAI.AuthenticationError && err.status === 401,
  );
  await assert.rejects(bad.models.list(), OpenAI.AuthenticationError);
});

test('aborting the stream closes the upstream request', async () => {
  const model = 'fake:tokens=5000,delay_ms=20,key=abort';
  const controller = new AbortController();
  const stream = await client.chat.completions.create(
    { model: `fo/${model}`, messages, stream: true },
    { signal: controller.signal },
  );
  let got = '';
  let chunks = 0;
  // The SDK ends the iteration quietly once its controller is aborted.
  for await (const chunk of stream) {
    chunks += 1;
    got += chunk.choices[0]?.delta?.content ?? '';
    if (got.length > 0) controller.abort();
  }
  assert.ok(chunks < 100, 'the stream stopped soon after the abort');
  assert.ok(got.length > 0);
  assert.equal(await upstreamOutcome(model), 'client_disconnected');
});
