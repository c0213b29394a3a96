package dev.metropolis.kubernetes.apiserver.api;

import dev.metropolis.kubernetes.apiserver.registry.Column;
import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import java.time.Instant;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Server-side printing: objects as a meta.k8s.io/v1 Table with the kind's columns. */
final class Tables {
  static final String CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io";

  private Tables() {}

  /** Whether the Accept header asks for a Table (v1 or v1beta1; both get v1). */
  static boolean wanted(String accept) {
    for (String part : accept.split(",", -1)) {
      String p = part.replace(" ", "");
      if (p.contains("as=Table") && p.contains("g=meta.k8s.io")) {
        return true;
      }
    }
    return false;
  }

  /**
   * A Table of {@code items}. {@code includeObject} is upstream's query parameter: Metadata (the
   * default: a PartialObjectMetadata per row, which kubectl needs for -A, --show-labels and -L),
   * Object or None.
   */
  static ObjectNode table(
      ResourceType t,
      List<ObjectNode> items,
      String resourceVersion,
      String continueToken,
      String includeObject,
      boolean headers,
      Instant now) {
    ObjectNode table = Json.object();
    table.put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
    ObjectNode meta = table.putObject("metadata");
    meta.put("resourceVersion", resourceVersion);
    if (!continueToken.isEmpty()) {
      meta.put("continue", continueToken);
    }
    List<Column> columns = t.columns();
    if (headers) {
      ArrayNode defs = table.putArray("columnDefinitions");
      for (Column c : columns) {
        defs.addObject()
            .put("name", c.name())
            .put("type", c.type())
            .put("format", c.format())
            .put("description", c.description())
            .put("priority", c.priority());
      }
    }
    ArrayNode rows = table.putArray("rows");
    for (ObjectNode o : items) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      for (Column c : columns) {
        Object v = c.cell().apply(o, now);
        if (v instanceof Integer i) {
          cells.add(i);
        } else {
          cells.add(String.valueOf(v));
        }
      }
      switch (includeObject) {
        case "None" -> row.putNull("object");
        case "Object" -> row.set("object", o);
        default -> {
          ObjectNode partial = row.putObject("object");
          partial.put("kind", "PartialObjectMetadata").put("apiVersion", "meta.k8s.io/v1");
          partial.set("metadata", o.path("metadata").deepCopy());
        }
      }
    }
    return table;
  }
}
