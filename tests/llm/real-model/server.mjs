// A small OpenAI-compatible chat-completions server on a real local model,
// for tests/llm/real-model/run.sh: node-llama-cpp (llama.cpp's prebuilt CPU
// binary from npm) runs a GGUF model on 127.0.0.1.
//
//     node server.mjs --model MODEL.gguf --port-file PORT [--log REQUESTS.jsonl]
//                     [--name NAME] [--context 16384] [--max-tokens 4096] [--seed 0]
//                     [--threads 1]
//
// POST .../chat/completions takes OpenAI's body: `messages` (system, user,
// assistant), `temperature` (default 0: greedy, so deterministic), `seed`,
// `max_tokens` / `max_completion_tokens`, and `response_format`:
// `{type: "json_schema", json_schema: {schema}}` constrains the answer with
// node-llama-cpp's grammar for that JSON schema
// (`llama.createGrammarForJsonSchema`), `{type: "json_object"}` with its JSON
// grammar. It answers in OpenAI's format, with `usage` (the prompt's tokens as
// the chat template renders them, and the tokens generated). GET .../models
// lists the model. Requests are answered one at a time (one context
// sequence), in the order they came.
//
// The port (0: any free one) is written to --port-file once the model is
// loaded, so the file's existence means the server is ready. Every request
// is logged as one JSON line: the messages' sizes, the answer, the usage,
// the seconds, why generation stopped, and (from ctinject's retry prompt) why
// the previous answer was refused.
//
// One thread by default: llama.cpp's threads wait for each other by spinning,
// and on a 2-core machine that is busy with anything else (a cargo build),
// two threads made a 32-token answer take 29 s instead of 1.5 s.

import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { getLlama, LlamaChat, LlamaLogLevel } from "node-llama-cpp";

function parseArgs(argv) {
    const args = { context: 16384, maxTokens: 4096, seed: 0, threads: 1, log: null, name: null };
    for (let i = 0; i < argv.length; i++) {
        const key = argv[i];
        const value = argv[i + 1];
        if (value === undefined) throw new Error(`${key} needs a value`);
        i++;
        switch (key) {
            case "--model": args.model = value; break;
            case "--port-file": args.portFile = value; break;
            case "--log": args.log = value; break;
            case "--name": args.name = value; break;
            case "--context": args.context = Number(value); break;
            case "--max-tokens": args.maxTokens = Number(value); break;
            case "--seed": args.seed = Number(value); break;
            case "--threads": args.threads = Number(value); break;
            default: throw new Error(`unknown option ${key}`);
        }
    }
    if (!args.model || !args.portFile) {
        throw new Error("usage: node server.mjs --model MODEL.gguf --port-file PORT [--log FILE] [--name NAME] [--context N] [--max-tokens N] [--seed N] [--threads N]");
    }
    args.name ??= path.basename(args.model).replace(/\.gguf$/, "");
    return args;
}

const args = parseArgs(process.argv.slice(2));

// CPU only: the prebuilt binary, never a build or a download (this machine
// reaches package registries only).
const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: args.model });
const context = await model.createContext({
    contextSize: Math.min(args.context, model.trainContextSize),
    threads: args.threads,
});
const chat = new LlamaChat({ contextSequence: context.getSequence() });
const grammars = new Map();

async function grammarFor(format) {
    if (format == null || format.type === "text") return undefined;
    if (format.type === "json_object") return llama.getGrammarFor("json");
    if (format.type === "json_schema") {
        const schema = format.json_schema?.schema;
        if (schema == null || typeof schema !== "object") {
            throw new BadRequest("response_format.json_schema.schema is missing");
        }
        const key = JSON.stringify(schema);
        if (!grammars.has(key)) grammars.set(key, await llama.createGrammarForJsonSchema(schema));
        return grammars.get(key);
    }
    throw new BadRequest(`response_format.type ${JSON.stringify(format.type)} is not supported`);
}

class BadRequest extends Error {}

function history(messages) {
    if (!Array.isArray(messages) || messages.length === 0) throw new BadRequest("messages must be a non-empty array");
    const text = (m) => typeof m.content === "string"
        ? m.content
        : Array.isArray(m.content) ? m.content.map((p) => p.text ?? "").join("") : "";
    const items = messages.map((m) => {
        switch (m.role) {
            case "system":
            case "developer": return { type: "system", text: text(m) };
            case "user": return { type: "user", text: text(m) };
            case "assistant": return { type: "model", response: [text(m)] };
            default: throw new BadRequest(`message role ${JSON.stringify(m.role)} is not supported`);
        }
    });
    items.push({ type: "model", response: [] });
    return items;
}

async function complete(body) {
    const chatHistory = history(body.messages);
    const grammar = await grammarFor(body.response_format);
    const { contextText } = chat.chatWrapper.generateContextState({ chatHistory });
    const promptTokens = contextText.tokenize(model.tokenizer).length;
    const meter = chat.sequence.tokenMeter;
    const outputBefore = meter.usedOutputTokens;
    const started = Date.now();
    const result = await chat.generateResponse(chatHistory, {
        grammar,
        temperature: typeof body.temperature === "number" ? body.temperature : 0,
        seed: Number.isInteger(body.seed) ? body.seed : args.seed,
        maxTokens: body.max_completion_tokens ?? body.max_tokens ?? args.maxTokens,
    });
    const generated = meter.usedOutputTokens - outputBefore;
    const completionTokens = generated > 0 ? generated : model.tokenize(result.response).length;
    const stopReason = result.metadata.stopReason;
    return {
        seconds: (Date.now() - started) / 1000,
        stopReason,
        payload: {
            id: `chatcmpl-${started}`,
            object: "chat.completion",
            created: Math.floor(started / 1000),
            model: args.name,
            choices: [{
                index: 0,
                finish_reason: stopReason === "maxTokens" ? "length" : "stop",
                message: { role: "assistant", content: result.response, refusal: null },
            }],
            usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        },
    };
}

// One request at a time: a chain of promises.
let queue = Promise.resolve();
function serially(task) {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
}

function send(res, status, payload) {
    const data = Buffer.from(JSON.stringify(payload));
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": data.length });
    res.end(data);
}

function refusedBefore(messages) {
    const last = [...messages].reverse().find((m) => m.role === "user");
    const match = /Your previous answer was refused: ([^\n]*)/.exec(String(last?.content ?? ""));
    return match ? match[1] : null;
}

function log(entry) {
    if (args.log) fs.appendFileSync(args.log, JSON.stringify(entry) + "\n");
}

const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
        const url = req.url.split("?")[0];
        if (req.method === "GET" && url.endsWith("/models")) {
            send(res, 200, { object: "list", data: [{ id: args.name, object: "model", owned_by: "local" }] });
            return;
        }
        if (req.method !== "POST" || !url.endsWith("/chat/completions")) {
            send(res, 404, { error: { message: `no route ${req.method} ${url}`, type: "not_found" } });
            return;
        }
        let body;
        try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch (e) {
            send(res, 400, { error: { message: `the body is not JSON: ${e.message}`, type: "invalid_request_error" } });
            return;
        }
        try {
            const answer = await serially(() => complete(body));
            log({
                path: url,
                model: body.model,
                messages: body.messages.map((m) => ({ role: m.role, chars: String(m.content ?? "").length })),
                response_format: body.response_format?.type ?? null,
                // ctinject's retry prompt says why its previous answer was refused
                previous_refused: refusedBefore(body.messages),
                answer: answer.payload.choices[0].message.content,
                usage: answer.payload.usage,
                seconds: answer.seconds,
                stop_reason: answer.stopReason,
            });
            send(res, 200, answer.payload);
        } catch (e) {
            const status = e instanceof BadRequest ? 400 : 500;
            log({ path: url, error: String(e?.stack ?? e), status });
            send(res, status, { error: { message: String(e?.message ?? e), type: status === 400 ? "invalid_request_error" : "server_error" } });
        }
    });
});

async function stop() {
    server.close();
    await context.dispose();
    await model.dispose();
    await llama.dispose();
    process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

server.listen(0, "127.0.0.1", () => {
    const tmp = `${args.portFile}.tmp`;
    fs.writeFileSync(tmp, String(server.address().port));
    fs.renameSync(tmp, args.portFile);
    process.stderr.write(`server.mjs: ${args.name} on 127.0.0.1:${server.address().port} (context ${context.contextSize} tokens)\n`);
});
