package dev.metropolis.metroctl.output;

import java.util.List;
import java.util.Map;

/**
 * Just enough JSON writing for one object per line: strings, integers, string lists and string
 * maps. Output is pure ASCII (anything else is escaped), so it survives any terminal or locale.
 */
public final class Json {
  private final StringBuilder sb = new StringBuilder("{");
  private boolean first = true;

  /** Appends {@code "name":"value"}, or {@code null} when value is null. */
  public Json field(String name, String value) {
    key(name);
    if (value == null) {
      sb.append("null");
    } else {
      quote(sb, value);
    }
    return this;
  }

  /** Appends {@code "name":123}. */
  public Json field(String name, long value) {
    key(name);
    sb.append(value);
    return this;
  }

  /** Appends {@code "name":["a","b"]}. */
  public Json field(String name, List<String> values) {
    key(name);
    sb.append('[');
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      quote(sb, values.get(i));
    }
    sb.append(']');
    return this;
  }

  /** Appends {@code "name":{"k":"v"}} in the map's iteration order. */
  public Json field(String name, Map<String, String> values) {
    key(name);
    sb.append('{');
    boolean firstEntry = true;
    for (Map.Entry<String, String> e : values.entrySet()) {
      if (!firstEntry) {
        sb.append(',');
      }
      firstEntry = false;
      quote(sb, e.getKey());
      sb.append(':');
      quote(sb, e.getValue());
    }
    sb.append('}');
    return this;
  }

  /** The object, without a line break. */
  @Override
  public String toString() {
    return sb + "}";
  }

  private void key(String name) {
    if (!first) {
      sb.append(',');
    }
    first = false;
    quote(sb, name);
    sb.append(':');
  }

  /** Appends {@code s} as a JSON string literal. */
  static void quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            String hex = Integer.toHexString(c);
            out.append("\\u").append("0000", hex.length(), 4).append(hex);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** {@code s} as a JSON string literal. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder();
    quote(sb, s);
    return sb.toString();
  }
}
