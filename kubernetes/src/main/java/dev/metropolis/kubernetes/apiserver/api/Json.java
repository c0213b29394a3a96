package dev.metropolis.kubernetes.apiserver.api;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The one JSON mapper of the API server (Jackson 3, which fabric8 8.x model types are built for).
 */
public final class Json {
  public static final JsonMapper MAPPER = JsonMapper.builderWithJackson2Defaults().build();

  private Json() {}

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  public static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  public static byte[] bytes(JsonNode node) {
    return MAPPER.writeValueAsBytes(node);
  }

  /** Parses a request body that must be one JSON object; anything else is a 400. */
  public static ObjectNode parseObject(byte[] body) {
    JsonNode n = parse(body);
    if (!(n instanceof ObjectNode o)) {
      throw ApiException.badRequest("the request body must be a JSON object");
    }
    return o;
  }

  /** Parses a request body as JSON; malformed input is a 400 with the parser's complaint. */
  public static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw ApiException.badRequest("the request body is empty");
    }
    try {
      JsonNode n = MAPPER.readTree(body);
      if (n == null || n.isMissingNode()) {
        throw ApiException.badRequest("the request body is empty");
      }
      return n;
    } catch (JacksonException e) {
      throw ApiException.badRequest(
          "the request body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  /** Parses stored bytes (written by this server). */
  public static ObjectNode stored(byte[] bytes) {
    return (ObjectNode) MAPPER.readTree(bytes);
  }

  /** The text at a dotted path, or "" if absent. */
  public static String text(JsonNode n, String... path) {
    JsonNode cur = n;
    for (String p : path) {
      cur = cur.path(p);
    }
    return cur.isValueNode() ? cur.asString() : "";
  }
}
