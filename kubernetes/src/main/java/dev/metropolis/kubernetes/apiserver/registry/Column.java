package dev.metropolis.kubernetes.apiserver.registry;

import java.time.Instant;
import java.util.function.BiFunction;
import tools.jackson.databind.node.ObjectNode;

/**
 * One column of a server-side Table: kubectl prints {@code name} upper-cased; priority 0 columns
 * always, priority 1 only with {@code -o wide}. The cell is computed from the stored object and the
 * time of the request (for ages).
 */
public record Column(
    String name,
    String type,
    String format,
    String description,
    int priority,
    BiFunction<ObjectNode, Instant, Object> cell) {

  static Column text(String name, String description, BiFunction<ObjectNode, Instant, Object> f) {
    return new Column(name, "string", "", description, 0, f);
  }

  static Column integer(
      String name, String description, BiFunction<ObjectNode, Instant, Object> f) {
    return new Column(name, "integer", "", description, 0, f);
  }

  static Column wide(String name, String description, BiFunction<ObjectNode, Instant, Object> f) {
    return new Column(name, "string", "", description, 1, f);
  }
}
