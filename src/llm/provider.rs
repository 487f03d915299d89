//! The providers' wire formats: OpenAI-compatible chat completions (OpenAI,
//! Ollama's `/v1`, any compatible server) and the Anthropic Messages API.
//! Pure: [`Provider::request`] builds what to send, [`Provider::reply`]
//! reads what came back; `super::client` does the sending.

use serde_json::{json, Value};

/// Which wire format, and the defaults that go with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    OpenAi,
    Anthropic,
    /// OpenAI's format at Ollama's address, without a key.
    Ollama,
}

impl Provider {
    pub fn parse(name: &str) -> Result<Provider, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "openai" => Ok(Provider::OpenAi),
            "anthropic" => Ok(Provider::Anthropic),
            "ollama" => Ok(Provider::Ollama),
            other => Err(format!(
                "unknown provider {other:?}: give openai (or any OpenAI-compatible server with LLM_BASE_URL), anthropic or ollama"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Ollama => "ollama",
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            Provider::OpenAi => "https://api.openai.com/v1",
            Provider::Anthropic => "https://api.anthropic.com",
            Provider::Ollama => "http://localhost:11434/v1",
        }
    }

    /// The environment variable of its key (`None`: none needed).
    pub fn key_variable(self) -> Option<&'static str> {
        match self {
            Provider::OpenAi => Some("OPENAI_API_KEY"),
            Provider::Anthropic => Some("ANTHROPIC_API_KEY"),
            Provider::Ollama => None,
        }
    }

    /// The URL, headers and JSON body of one request. The plan's JSON
    /// schema goes where each provider enforces it: OpenAI's
    /// `response_format` (strict `json_schema`), Anthropic's forced tool.
    pub fn request(
        self,
        base_url: &str,
        key: Option<&str>,
        model: &str,
        system: &str,
        user: &str,
    ) -> (String, Vec<(&'static str, String)>, Value) {
        let base = base_url.trim_end_matches('/');
        match self {
            Provider::OpenAi | Provider::Ollama => {
                let mut headers = Vec::new();
                if let Some(key) = key {
                    headers.push(("authorization", format!("Bearer {key}")));
                }
                let body = json!({
                    "model": model,
                    "temperature": 0,
                    "messages": [
                        {"role": "system", "content": system},
                        {"role": "user", "content": user},
                    ],
                    "response_format": {
                        "type": "json_schema",
                        "json_schema": {"name": "insertion_plan", "strict": true, "schema": plan_schema()},
                    },
                });
                (format!("{base}/chat/completions"), headers, body)
            }
            Provider::Anthropic => {
                let mut headers = vec![("anthropic-version", "2023-06-01".to_string())];
                if let Some(key) = key {
                    headers.push(("x-api-key", key.to_string()));
                }
                let body = json!({
                    "model": model,
                    "max_tokens": 8192,
                    "temperature": 0,
                    "system": system,
                    "messages": [{"role": "user", "content": user}],
                    "tools": [{
                        "name": "insertion_plan",
                        "description": "Where to insert the telemetry calls: each insert's line, column and text.",
                        "input_schema": plan_schema(),
                    }],
                    "tool_choice": {"type": "tool", "name": "insertion_plan"},
                });
                (format!("{base}/v1/messages"), headers, body)
            }
        }
    }

    /// The plan's text and the tokens used, from a successful answer's body.
    pub fn reply(self, body: &str) -> Result<Reply, String> {
        let v: Value = serde_json::from_str(body)
            .map_err(|e| format!("the {} answer is not JSON: {e}", self.name()))?;
        let count = |v: &Value| v.as_u64().unwrap_or(0);
        match self {
            Provider::OpenAi | Provider::Ollama => {
                let message = &v["choices"][0]["message"];
                if let Some(refusal) = message["refusal"].as_str() {
                    return Err(format!("the model refused: {refusal}"));
                }
                let text = message["content"].as_str().ok_or_else(|| {
                    format!(
                        "the {} answer has no choices[0].message.content",
                        self.name()
                    )
                })?;
                Ok(Reply {
                    text: text.to_string(),
                    input_tokens: count(&v["usage"]["prompt_tokens"]),
                    output_tokens: count(&v["usage"]["completion_tokens"]),
                })
            }
            Provider::Anthropic => {
                let content = v["content"]
                    .as_array()
                    .ok_or("the anthropic answer has no content")?;
                // the forced tool's input; a text block where a model answered in prose
                let text = content
                    .iter()
                    .find(|c| c["type"] == "tool_use")
                    .map(|c| c["input"].to_string())
                    .or_else(|| {
                        content
                            .iter()
                            .find(|c| c["type"] == "text")
                            .and_then(|c| c["text"].as_str().map(str::to_string))
                    })
                    .ok_or("the anthropic answer has neither a tool_use nor a text block")?;
                Ok(Reply {
                    text,
                    input_tokens: count(&v["usage"]["input_tokens"]),
                    output_tokens: count(&v["usage"]["output_tokens"]),
                })
            }
        }
    }

    /// Statuses worth waiting for and asking again: rate limits and
    /// Anthropic's "overloaded".
    pub fn retryable(status: u16) -> bool {
        matches!(status, 429 | 529 | 502 | 503)
    }
}

/// What an answer says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The JSON schema of a plan (the model's whole answer).
pub fn plan_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["inserts"],
        "properties": {
            "inserts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["line", "column", "text"],
                    "properties": {
                        "line": {"type": "integer", "description": "1-based line of the original file"},
                        "column": {"type": "integer", "description": "1-based column (characters) the text goes before; one past the line's end appends it"},
                        "text": {"type": "string", "description": "exactly one call form, filled in"},
                    },
                },
            },
        },
    })
}

/// Dollars per million tokens, input and output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

/// Prices of the models ctinject knows, in dollars per million tokens (as
/// the providers published them; the configuration's `llm.prices` adds
/// others and overrides these). Local models cost nothing.
pub const DEFAULT_PRICES: &[(&str, Price)] = &[
    (
        "gpt-4o-mini",
        Price {
            input: 0.15,
            output: 0.60,
        },
    ),
    (
        "gpt-4o",
        Price {
            input: 2.50,
            output: 10.00,
        },
    ),
    (
        "gpt-4.1-mini",
        Price {
            input: 0.40,
            output: 1.60,
        },
    ),
    (
        "gpt-4.1",
        Price {
            input: 2.00,
            output: 8.00,
        },
    ),
    (
        "claude-3-5-haiku-latest",
        Price {
            input: 0.80,
            output: 4.00,
        },
    ),
    (
        "claude-sonnet-4-0",
        Price {
            input: 3.00,
            output: 15.00,
        },
    ),
];

impl Price {
    pub fn cost(self, reply: &Reply) -> f64 {
        (reply.input_tokens as f64 * self.input + reply.output_tokens as f64 * self.output) / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_requests_carry_the_schema_and_replies_give_text_and_usage() {
        let (url, headers, body) = Provider::OpenAi.request(
            "https://api.openai.com/v1/",
            Some("sk-x"),
            "gpt-4o-mini",
            "sys",
            "user",
        );
        assert_eq!(url, "https://api.openai.com/v1/chat/completions");
        assert_eq!(headers, [("authorization", "Bearer sk-x".to_string())]);
        assert_eq!(
            body["response_format"]["json_schema"]["schema"],
            plan_schema()
        );
        assert_eq!(body["messages"][1]["content"], "user");
        let reply = Provider::OpenAi
            .reply(r#"{"choices":[{"message":{"role":"assistant","content":"{\"inserts\":[]}"}}],"usage":{"prompt_tokens":1200,"completion_tokens":300}}"#)
            .unwrap();
        assert_eq!(reply.text, r#"{"inserts":[]}"#);
        assert_eq!((reply.input_tokens, reply.output_tokens), (1200, 300));
        let price = DEFAULT_PRICES[0].1;
        assert!((price.cost(&reply) - (1200.0 * 0.15 + 300.0 * 0.60) / 1e6).abs() < 1e-12);
        assert!(Provider::OpenAi
            .reply(r#"{"choices":[{"message":{"refusal":"no"}}]}"#)
            .unwrap_err()
            .contains("refused"));
        let (_, headers, _) =
            Provider::Ollama.request(Provider::Ollama.default_base_url(), None, "m", "s", "u");
        assert!(headers.is_empty());
    }

    #[test]
    fn anthropic_forces_the_tool_and_replies_give_its_input() {
        let (url, headers, body) = Provider::Anthropic.request(
            "https://api.anthropic.com",
            Some("k"),
            "claude-3-5-haiku-latest",
            "sys",
            "u",
        );
        assert_eq!(url, "https://api.anthropic.com/v1/messages");
        assert!(headers.contains(&("x-api-key", "k".to_string())));
        assert_eq!(body["tool_choice"]["name"], "insertion_plan");
        assert_eq!(body["system"], "sys");
        let reply = Provider::Anthropic
            .reply(r#"{"content":[{"type":"tool_use","id":"t","name":"insertion_plan","input":{"inserts":[{"line":1,"column":1,"text":"x"}]}}],"usage":{"input_tokens":10,"output_tokens":5}}"#)
            .unwrap();
        let v: Value = serde_json::from_str(&reply.text).unwrap();
        assert_eq!(v["inserts"][0]["line"], 1);
        assert_eq!((reply.input_tokens, reply.output_tokens), (10, 5));
        assert!(Provider::parse("gemini").is_err());
        assert_eq!(Provider::parse(" Anthropic ").unwrap(), Provider::Anthropic);
    }
}
