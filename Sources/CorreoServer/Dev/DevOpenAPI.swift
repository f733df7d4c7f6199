/// The OpenAPI 3.1 description of the `serve --dev` API, written by hand and served at
/// `/api/openapi.json`.
///
/// A test asks each path it lists and checks the answers keep to it.
enum DevOpenAPI {
    static let document = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "correo serve --dev",
            "version": "1.0.0",
            "description": "Every message correo --dev captured: list, read, wait for, delete. Never let this server face the internet."
          },
          "paths": {
            "/api/messages": {
              "get": {
                "operationId": "listMessages",
                "summary": "Captured messages, newest first",
                "parameters": [
                  {"$ref": "#/components/parameters/to"},
                  {"$ref": "#/components/parameters/from"},
                  {"$ref": "#/components/parameters/subject"},
                  {"$ref": "#/components/parameters/since"},
                  {"$ref": "#/components/parameters/before"},
                  {"name": "start", "in": "query", "description": "How many matching messages to skip.", "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 0}},
                  {"name": "limit", "in": "query", "description": "Page size.", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}}
                ],
                "responses": {
                  "200": {
                    "description": "One page of the list.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MessagePage"}}},
                    "links": {
                      "GetFirstMessage": {"operationId": "getMessage", "parameters": {"id": "$response.body#/messages/0/id"}},
                      "GetFirstRaw": {"operationId": "getRawMessage", "parameters": {"id": "$response.body#/messages/0/id"}},
                      "GetFirstAttachment": {"operationId": "getAttachment", "parameters": {"id": "$response.body#/messages/0/id", "index": "0"}},
                      "ReleaseFirst": {"operationId": "releaseMessage", "parameters": {"id": "$response.body#/messages/0/id"}}
                    }
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"}
                }
              },
              "delete": {
                "operationId": "deleteAllMessages",
                "summary": "Delete every captured message (from every mailbox)",
                "responses": {
                  "200": {"description": "How many were deleted.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deleted"}}}}
                }
              }
            },
            "/api/messages/wait": {
              "get": {
                "operationId": "waitForMessage",
                "summary": "The newest matching message, waiting for one to arrive if there is none yet",
                "description": "Answers at once when a matching message is there, else as soon as one arrives; 204 when timeout seconds pass first.",
                "parameters": [
                  {"$ref": "#/components/parameters/to"},
                  {"$ref": "#/components/parameters/from"},
                  {"$ref": "#/components/parameters/subject"},
                  {"$ref": "#/components/parameters/since"},
                  {"$ref": "#/components/parameters/before"},
                  {"name": "timeout", "in": "query", "description": "Seconds to wait.", "schema": {"type": "integer", "minimum": 0, "maximum": 120, "default": 30}}
                ],
                "responses": {
                  "200": {"description": "The message.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MessageSummary"}}}},
                  "204": {"description": "No matching message arrived in time."},
                  "400": {"$ref": "#/components/responses/BadRequest"}
                }
              }
            },
            "/api/messages/{id}": {
              "parameters": [{"$ref": "#/components/parameters/id"}],
              "get": {
                "operationId": "getMessage",
                "summary": "One message, parsed",
                "responses": {
                  "200": {"description": "The message.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}},
                  "404": {"$ref": "#/components/responses/NotFound"}
                }
              },
              "delete": {
                "operationId": "deleteMessage",
                "summary": "Delete one message (from every mailbox)",
                "responses": {
                  "200": {"description": "Deleted.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deleted"}}}},
                  "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/messages/{id}/raw": {
              "parameters": [{"$ref": "#/components/parameters/id"}],
              "get": {
                "operationId": "getRawMessage",
                "summary": "The message as received (.eml)",
                "responses": {
                  "200": {"description": "The message.", "content": {"message/rfc822": {"schema": {"type": "string"}}}},
                  "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/messages/{id}/release": {
              "parameters": [{"$ref": "#/components/parameters/id"}],
              "post": {
                "operationId": "releaseMessage",
                "summary": "Send the message on through the relay to allowed addresses (--dev-release-allow)",
                "description": "Queues a copy for the outbound relay, addressed to the body's addresses or, without them, to the message's own envelope recipients. Every address must match a --dev-release-allow pattern; without one, release is refused.",
                "requestBody": {
                  "required": false,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Release"}}}
                },
                "responses": {
                  "202": {"description": "Queued for the relay.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Released"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "403": {"description": "An address is not on the allow-list, or release is off.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                  "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/messages/{id}/attachments/{index}": {
              "parameters": [
                {"$ref": "#/components/parameters/id"},
                {"name": "index", "in": "path", "required": true, "description": "The attachment's index in the message's attachments, from 0.", "schema": {"type": "string", "pattern": "^[0-9]{1,9}$"}}
              ],
              "get": {
                "operationId": "getAttachment",
                "summary": "One attachment, decoded",
                "responses": {
                  "200": {"description": "The attachment's bytes, as its own media type.", "content": {"*/*": {"schema": {"type": "string"}}}},
                  "404": {"$ref": "#/components/responses/NotFound"}
                }
              }
            },
            "/api/faults": {
              "get": {
                "operationId": "listFaults",
                "summary": "The SMTP faults being played, one line each (README: Scripted faults)",
                "responses": {
                  "200": {"description": "The faults.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Faults"}}}}
                }
              },
              "put": {
                "operationId": "replaceFaults",
                "summary": "Replace every fault; counts start afresh",
                "requestBody": {
                  "required": true,
                  "content": {
                    "text/plain": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "array", "items": {"type": "string"}}}
                  }
                },
                "responses": {
                  "200": {"description": "The faults now played.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Faults"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"}
                }
              },
              "delete": {
                "operationId": "clearFaults",
                "summary": "Stop every fault",
                "responses": {
                  "200": {"description": "No fault is played.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Faults"}}}}
                }
              }
            },
            "/api/events": {
              "get": {
                "operationId": "events",
                "summary": "Server-sent events: a message event (a MessageSummary as JSON) per arrival",
                "responses": {
                  "200": {"description": "An endless event stream.", "content": {"text/event-stream": {"schema": {"type": "string"}}}}
                }
              }
            },
            "/api/openapi.json": {
              "get": {
                "operationId": "openAPI",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}}
              }
            }
          },
          "components": {
            "parameters": {
              "id": {"name": "id", "in": "path", "required": true, "description": "A message id from the list.", "schema": {"type": "string"}},
              "to": {"name": "to", "in": "query", "description": "Part of an envelope recipient, To or Cc address (case-insensitive).", "schema": {"type": "string"}},
              "from": {"name": "from", "in": "query", "description": "Part of the From name or address, or of MAIL FROM.", "schema": {"type": "string"}},
              "subject": {"name": "subject", "in": "query", "description": "Part of the Subject.", "schema": {"type": "string"}},
              "since": {"name": "since", "in": "query", "description": "Received at or after this time (RFC 3339 or seconds since 1970; compared in whole seconds).", "schema": {"$ref": "#/components/schemas/Time"}},
              "before": {"name": "before", "in": "query", "description": "Received before this time (RFC 3339 or seconds since 1970).", "schema": {"$ref": "#/components/schemas/Time"}}
            },
            "responses": {
              "BadRequest": {"description": "A parameter is malformed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "NotFound": {"description": "No such message or attachment.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "schemas": {
              "Time": {
                "anyOf": [
                  {"type": "string", "format": "date-time"},
                  {"type": "string", "pattern": "^[0-9]{1,12}(\\.[0-9]{1,6})?$"}
                ]
              },
              "Error": {
                "type": "object", "required": ["error", "status"],
                "properties": {"error": {"type": "string"}, "status": {"type": "string"}}
              },
              "Faults": {"type": "object", "required": ["faults"], "properties": {"faults": {"type": "array", "items": {"type": "string"}}}},
              "ReleaseAddress": {"type": "string", "maxLength": 254, "pattern": "^[!#-;=?A-~]+@[!#-;=?A-~]+$"},
              "Release": {
                "type": "object", "additionalProperties": false,
                "properties": {"to": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"$ref": "#/components/schemas/ReleaseAddress"}}}
              },
              "Released": {
                "type": "object", "required": ["queued", "to", "sender"],
                "properties": {
                  "queued": {"type": "array", "items": {"type": "string"}, "description": "Queue ids (correo queue list)."},
                  "to": {"type": "array", "items": {"type": "string"}},
                  "sender": {"type": "string"}
                }
              },
              "Deleted": {"type": "object", "required": ["deleted"], "properties": {"deleted": {"type": "integer", "minimum": 0}}},
              "Address": {
                "type": "object", "required": ["name", "address"],
                "properties": {"name": {"type": "string"}, "address": {"type": "string"}}
              },
              "Envelope": {
                "type": "object", "required": ["sender", "recipients", "client"],
                "properties": {
                  "sender": {"type": "string", "description": "MAIL FROM; empty for <>."},
                  "recipients": {"type": "array", "items": {"type": "string"}},
                  "client": {"type": "string"}
                }
              },
              "MessageSummary": {
                "type": "object",
                "required": ["id", "received", "from", "to", "cc", "subject", "size", "attachmentCount"],
                "properties": {
                  "id": {"type": "string"},
                  "received": {"type": "string", "format": "date-time"},
                  "from": {"type": "array", "items": {"$ref": "#/components/schemas/Address"}},
                  "to": {"type": "array", "items": {"$ref": "#/components/schemas/Address"}},
                  "cc": {"type": "array", "items": {"$ref": "#/components/schemas/Address"}},
                  "subject": {"type": "string"},
                  "date": {"type": "string", "format": "date-time"},
                  "messageID": {"type": "string"},
                  "size": {"type": "integer"},
                  "envelope": {"$ref": "#/components/schemas/Envelope"},
                  "attachmentCount": {"type": "integer"}
                }
              },
              "MessagePage": {
                "type": "object", "required": ["total", "start", "count", "messages"],
                "properties": {
                  "total": {"type": "integer"}, "start": {"type": "integer"}, "count": {"type": "integer"},
                  "messages": {"type": "array", "items": {"$ref": "#/components/schemas/MessageSummary"}}
                }
              },
              "Message": {
                "allOf": [
                  {"$ref": "#/components/schemas/MessageSummary"},
                  {
                    "type": "object", "required": ["headers", "attachments"],
                    "properties": {
                      "headers": {"type": "array", "items": {"type": "object", "required": ["name", "value"], "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}},
                      "text": {"type": ["string", "null"]},
                      "html": {"type": ["string", "null"]},
                      "attachments": {
                        "type": "array",
                        "items": {
                          "type": "object", "required": ["index", "name", "type", "size"],
                          "properties": {
                            "index": {"type": "integer"}, "name": {"type": "string"}, "type": {"type": "string"},
                            "size": {"type": "integer"}, "contentID": {"type": "string"}
                          }
                        }
                      }
                    }
                  }
                ]
              }
            }
          }
        }
        """#
}
