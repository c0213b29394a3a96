package dev.metropolis.metroctl.client;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;

/** Turns gRPC failures into one-line text for an operator. */
public final class RpcErrors {
  private RpcErrors() {}

  /** The status of a gRPC failure, or null if {@code t} is none. */
  public static Status statusOf(Throwable t) {
    if (t instanceof StatusRuntimeException e) {
      return e.getStatus();
    }
    if (t instanceof StatusException e) {
      return e.getStatus();
    }
    return null;
  }

  /**
   * {@code CODE: description}, followed by the innermost cause in parentheses when there is one:
   * transport failures carry their real reason (connection refused, certificate rejected) there,
   * not in the description.
   */
  public static String describe(Throwable t) {
    Status s = statusOf(t);
    if (s == null) {
      return oneLine(t.getMessage() == null ? t.toString() : t.getMessage());
    }
    StringBuilder sb = new StringBuilder(s.getCode().name());
    if (s.getDescription() != null && !s.getDescription().isEmpty()) {
      sb.append(": ").append(s.getDescription());
    }
    Throwable root = s.getCause();
    if (root != null) {
      for (int depth = 0; depth < 16 && root.getCause() != null; depth++) {
        root = root.getCause();
      }
      String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
      if (s.getDescription() == null || !s.getDescription().contains(m)) {
        sb.append(" (").append(m).append(')');
      }
    }
    return oneLine(sb.toString());
  }

  /** Joins lines with "; " so that an error stays one line (CEL errors span several). */
  public static String oneLine(String text) {
    StringBuilder sb = new StringBuilder();
    for (String line : (Iterable<String>) text.lines()::iterator) {
      String l = line.strip();
      if (l.isEmpty()) {
        continue;
      }
      if (!sb.isEmpty()) {
        sb.append("; ");
      }
      sb.append(l);
    }
    return sb.toString();
  }
}
