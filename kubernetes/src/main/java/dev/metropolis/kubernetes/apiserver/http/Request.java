package dev.metropolis.kubernetes.apiserver.http;

import dev.metropolis.kubernetes.apiserver.auth.User;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP request as the API handlers see it: the decoded path, query parameters, the headers that
 * matter (lower-case names), the whole body and the authenticated user (empty if anonymous).
 */
@SuppressWarnings("ArrayRecordComponent") // the body is handed over once, never compared
public record Request(
    String method,
    String path,
    Map<String, List<String>> query,
    Map<String, String> headers,
    byte[] body,
    Optional<User> user) {

  /** The first value of query parameter {@code name}, or "" if absent. */
  public String param(String name) {
    List<String> v = query.get(name);
    return v == null || v.isEmpty() ? "" : v.getFirst();
  }

  /** A boolean query parameter parsed like Go's strconv.ParseBool (clients send True/true/1). */
  public boolean flag(String name) {
    return switch (param(name)) {
      case "1", "t", "T", "true", "TRUE", "True" -> true;
      default -> false;
    };
  }

  public String header(String name) {
    return headers.getOrDefault(name, "");
  }
}
