package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A failed request, answered as a {@code Status} object: kubectl prints {@code Error from server
 * (reason): message}, so reason, code and message follow upstream's wording.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** One field error of an Invalid status (details.causes[]). */
  public record Cause(String reason, String message, String field) {}

  private final int code;
  private final String reason;
  private final transient ObjectNode details;

  public ApiException(int code, String reason, String message, ObjectNode details) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  public int code() {
    return code;
  }

  public String reason() {
    return reason;
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, "BadRequest", message, null);
  }

  public static ApiException unauthorized() {
    return new ApiException(401, "Unauthorized", "Unauthorized", null);
  }

  public static ApiException forbidden(String message) {
    return new ApiException(403, "Forbidden", message, null);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, "NotFound", message, null);
  }

  /** {@code <plural>[.<group>] "<name>" not found}. */
  public static ApiException notFound(ResourceType t, String name) {
    return new ApiException(
        404,
        "NotFound",
        t.qualifiedName() + " \"" + name + "\" not found",
        details(t.group(), t.resource(), name));
  }

  public static ApiException alreadyExists(ResourceType t, String name) {
    return new ApiException(
        409,
        "AlreadyExists",
        t.qualifiedName() + " \"" + name + "\" already exists",
        details(t.group(), t.resource(), name));
  }

  public static ApiException conflict(ResourceType t, String name) {
    return new ApiException(
        409,
        "Conflict",
        "Operation cannot be fulfilled on "
            + t.qualifiedName()
            + " \""
            + name
            + "\": the object has been modified; please apply your changes to the latest version"
            + " and try again",
        details(t.group(), t.resource(), name));
  }

  public static ApiException methodNotAllowed(String message) {
    return new ApiException(405, "MethodNotAllowed", message, null);
  }

  public static ApiException gone(String message) {
    return new ApiException(410, "Expired", message, null);
  }

  public static ApiException unsupportedMediaType(String contentType) {
    return new ApiException(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include:"
            + " application/json, application/yaml, application/vnd.kubernetes.protobuf"
            + " (got "
            + contentType
            + ")",
        null);
  }

  /**
   * 422 Invalid: {@code The <Kind> "<name>" is invalid: <field>: <message>[, ...]} with one cause
   * per field, as upstream's validation reports it.
   */
  public static ApiException invalid(ResourceType t, String name, List<Cause> causes) {
    StringBuilder msg = new StringBuilder();
    msg.append("The ").append(t.kind()).append(" \"").append(name).append("\" is invalid: ");
    if (causes.size() > 1) {
      msg.append('[');
    }
    for (int i = 0; i < causes.size(); i++) {
      if (i > 0) {
        msg.append(", ");
      }
      msg.append(causes.get(i).field()).append(": ").append(causes.get(i).message());
    }
    if (causes.size() > 1) {
      msg.append(']');
    }
    ObjectNode d = details(t.group(), t.kind(), name);
    ArrayNode arr = d.putArray("causes");
    for (Cause c : causes) {
      arr.addObject().put("reason", c.reason()).put("message", c.message()).put("field", c.field());
    }
    return new ApiException(422, "Invalid", msg.toString(), d);
  }

  public static ApiException internal(String message) {
    return new ApiException(500, "InternalError", message, null);
  }

  private static ObjectNode details(String group, String kind, String name) {
    ObjectNode d = Json.object();
    d.put("name", name);
    if (!group.isEmpty()) {
      d.put("group", group);
    }
    d.put("kind", kind);
    return d;
  }

  /** The Status object for this error. */
  public ObjectNode status() {
    return status(code, reason, getMessage(), details);
  }

  static ObjectNode status(int code, String reason, String message, ObjectNode details) {
    ObjectNode s = Json.object();
    s.put("kind", "Status").put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", "Failure").put("message", message).put("reason", reason);
    if (details != null) {
      s.set("details", details);
    }
    s.put("code", code);
    return s;
  }
}
