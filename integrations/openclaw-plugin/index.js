// clawscope plugin for OpenClaw: forwards typed plugin-hook events to a clawscope server.
//
// Every hook in HOOKS is registered with `api.on(name, handler)`; the handler posts an envelope
// `{event, timestamp, data}` (data = the hook's event fields + `context` with the hook context's
// identifiers) to `<url>/api/v1/openclaw/events`, signed `X-OpenClaw-Signature: sha256=<hex HMAC-SHA256
// of the raw body>` with the shared secret. Sending is fire-and-forget: the agent never waits for
// clawscope and a failure is logged once per minute at most, never thrown.
//
// Config (plugins.entries.clawscope.config, or the environment): url (CLAWSCOPE_URL), secret
// (CLAWSCOPE_EVENTS_SECRET), hooks, timeoutMs.
import { createHmac } from "node:crypto";

export const HOOKS = [
  "after_tool_call",
  "llm_output",
  "session_start",
  "session_end",
  "subagent_spawned",
  "subagent_ended",
  "message_received",
  "message_sent",
  "agent_end",
];

const CONTEXT_KEYS = [
  "agentId",
  "sessionKey",
  "sessionId",
  "runId",
  "jobId",
  "channelId",
  "accountId",
  "conversationId",
  "trigger",
  "modelProviderId",
  "modelId",
];
// Large or private fields that clawscope does not need from the hook (the transcript has them).
const DROP = new Set(["messages", "historyMessages", "systemPrompt", "tools", "media"]);

export function sign(secret, body) {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

function pick(obj, keys) {
  const out = {};
  if (!obj || typeof obj !== "object") return out;
  for (const k of keys) {
    const v = obj[k];
    if (v !== undefined && v !== null && typeof v !== "object" && typeof v !== "function") out[k] = v;
  }
  return out;
}

function safeJson(value) {
  const seen = new WeakSet();
  return JSON.stringify(value, (key, v) => {
    if (DROP.has(key)) return undefined;
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "function") return undefined;
    if (v && typeof v === "object") {
      if (seen.has(v)) return "[circular]";
      seen.add(v);
    }
    return v;
  });
}

export function envelope(name, event, ctx, now = new Date()) {
  const data = { ...(event && typeof event === "object" ? event : {}), context: pick(ctx, CONTEXT_KEYS) };
  return safeJson({ event: name, timestamp: now.toISOString(), data });
}

export function createForwarder({ url, secret, agentId, timeoutMs = 5000, logger = console, fetchImpl = fetch }) {
  const endpoint = url.replace(/\/+$/, "") + "/api/v1/openclaw/events";
  let lastWarn = 0;
  const warn = (msg) => {
    const now = Date.now();
    if (now - lastWarn > 60_000) {
      lastWarn = now;
      logger.warn?.(`[clawscope] ${msg}`);
    }
  };
  return async function send(name, event, ctx) {
    let body;
    try {
      body = envelope(name, event, ctx);
    } catch (err) {
      warn(`cannot encode ${name}: ${err}`);
      return false;
    }
    try {
      const res = await fetchImpl(endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-OpenClaw-Signature": sign(secret, body),
          ...(agentId ? { "X-Clawscope-Agent": agentId } : {}),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) warn(`${name}: HTTP ${res.status}`);
      return res.ok;
    } catch (err) {
      warn(`${name}: ${err}`);
      return false;
    }
  };
}

const plugin = {
  id: "clawscope",
  name: "clawscope",
  description: "Forwards hook events (tool calls, model output, sessions) to clawscope",
  register(api) {
    const cfg = api.pluginConfig ?? {};
    const url = cfg.url ?? process.env.CLAWSCOPE_URL;
    const secret = cfg.secret ?? process.env.CLAWSCOPE_EVENTS_SECRET;
    const logger = api.logger ?? console;
    if (!url || !secret) {
      logger.warn?.("[clawscope] set url and secret (or CLAWSCOPE_URL, CLAWSCOPE_EVENTS_SECRET): not forwarding");
      return;
    }
    const agentId = cfg.agentId ?? process.env.CLAWSCOPE_AGENT_ID; // its own secret, from agent registration
    const send = createForwarder({ url, secret, agentId, timeoutMs: cfg.timeoutMs ?? 5000, logger });
    const pending = new Set();
    for (const name of cfg.hooks ?? HOOKS) {
      api.on(name, (event, ctx) => {
        // Not awaited: the hook returns at once; the delivery runs in the background.
        const p = send(name, event, ctx).finally(() => pending.delete(p));
        pending.add(p);
      });
    }
    // Lets a short-lived process (`openclaw agent --local`) deliver what is in flight before exiting.
    api.on("gateway_stop", () => Promise.allSettled([...pending]));
    plugin.flush = () => Promise.allSettled([...pending]);
  },
};

export default plugin;
