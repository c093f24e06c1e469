package dev.cmcp.examples.crm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.List;

/** The demo CRM's two tools: how they are described to clients, and what a call returns. */
final class CrmTools {
  static final int DEFAULT_MAX_RECORDS = 50;

  /*
   * Both tools return the same structure, so one output schema serves both. Kept as JSON text
   * because that is the form a reader compares with the MCP spec and with tools/list output.
   */
  private static final String TOOL_DEFINITIONS = """
      [
        {
          "name": "contacts",
          "title": "Search contacts",
          "description": "Find CRM contacts whose name or company contains the query (case-insensitive).",
          "inputSchema": {
            "type": "object",
            "properties": {
              "query": {"type": "string", "description": "Part of a company or person name, e.g. Acme Corp"},
              "max_records": {"type": "integer", "minimum": 1, "default": 50,
                              "description": "Most contacts to return"}
            },
            "required": ["query"]
          },
          "outputSchema": %1$s
        },
        {
          "name": "export_all",
          "title": "Export all contacts",
          "description": "Return every contact in the CRM.",
          "inputSchema": {"type": "object", "properties": {}},
          "outputSchema": %1$s
        }
      ]
      """.formatted("""
      {
        "type": "object",
        "properties": {
          "contacts": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "name": {"type": "string"},
                "email": {"type": "string"},
                "phone": {"type": "string"},
                "company": {"type": "string"},
                "title": {"type": "string"}
              },
              "required": ["name", "email", "phone", "company", "title"]
            }
          },
          "total_count": {"type": "integer", "description": "Matching contacts before max_records applied"}
        },
        "required": ["contacts", "total_count"]
      }
      """);

  private final ContactDirectory directory;
  private final ObjectMapper json;
  private final ArrayNode definitions;

  CrmTools(ContactDirectory directory, ObjectMapper json) {
    this.directory = directory;
    this.json = json;
    try {
      this.definitions = (ArrayNode) json.readTree(TOOL_DEFINITIONS);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("the built-in tool definitions are not valid JSON", e);
    }
  }

  /** The {@code tools} array of a tools/list result; a fresh copy, so callers may not alter ours. */
  ArrayNode definitions() {
    return definitions.deepCopy();
  }

  /** The result of one tools/call; an unknown tool or bad arguments is an invalid-params error. */
  ObjectNode call(String toolName, JsonNode arguments) {
    return switch (toolName) {
      case "contacts" -> searchContacts(arguments);
      case "export_all" -> result(directory.contacts(), directory.contacts().size());
      default -> throw JsonRpcException.invalidParams(
          "Unknown tool: " + toolName + " (this server offers contacts, export_all)");
    };
  }

  private ObjectNode searchContacts(JsonNode arguments) {
    String query = arguments.path("query").textValue();
    if (query == null || query.isBlank()) {
      throw JsonRpcException.invalidParams("contacts: arguments.query must be a non-empty string, e.g. \"Acme Corp\"");
    }
    int maxRecords = maxRecords(arguments.get("max_records"));
    List<Contact> matches = directory.search(query.strip());
    return result(matches.subList(0, Math.min(maxRecords, matches.size())), matches.size());
  }

  private static int maxRecords(JsonNode value) {
    if (value == null || value.isNull()) {
      return DEFAULT_MAX_RECORDS;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1) {
      throw JsonRpcException.invalidParams("contacts: arguments.max_records must be a whole number of at least 1");
    }
    return value.intValue();
  }

  /** Structured content plus, as the spec asks for older clients, the same JSON as one text block. */
  private ObjectNode result(List<Contact> contacts, int totalCount) {
    ObjectNode structured = json.createObjectNode();
    structured.set("contacts", json.valueToTree(contacts));
    structured.put("total_count", totalCount);

    ObjectNode result = json.createObjectNode();
    result.putArray("content").addObject().put("type", "text").put("text", structured.toString());
    result.set("structuredContent", structured);
    result.put("isError", false);
    return result;
  }
}
