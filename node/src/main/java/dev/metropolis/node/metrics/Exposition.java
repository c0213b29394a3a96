package dev.metropolis.node.metrics;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Writes the Prometheus text exposition format, version 0.0.4: for each metric family one {@code #
 * HELP} and one {@code # TYPE} line, then its samples. Families must be written whole, one after
 * the other; a family name may appear only once.
 */
public final class Exposition {
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final StringBuilder out = new StringBuilder();
  private final Set<String> families = new LinkedHashSet<>();

  /** Starts a family; {@code type} is counter, gauge, histogram, summary or untyped. */
  public Exposition family(String name, String type, String help) {
    if (!families.add(name)) {
      throw new IllegalStateException("metric family " + name + " written twice");
    }
    out.append("# HELP ").append(name).append(' ');
    for (int i = 0; i < help.length(); i++) {
      char c = help.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
    out.append('\n').append("# TYPE ").append(name).append(' ').append(type).append('\n');
    return this;
  }

  /** One sample of the current family (or its _bucket/_sum/_count series). */
  public Exposition sample(String name, Map<String, String> labels, double value) {
    out.append(name);
    if (!labels.isEmpty()) {
      out.append('{');
      boolean first = true;
      for (var e : labels.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        out.append(e.getKey()).append("=\"");
        escapeLabel(e.getValue());
        out.append('"');
      }
      out.append('}');
    }
    out.append(' ').append(number(value)).append('\n');
    return this;
  }

  /** A sample with an integer value (counts, bytes), written exactly. */
  public Exposition sample(String name, Map<String, String> labels, long value) {
    return sample(name, labels, (double) value);
  }

  public Exposition sample(String name, long value) {
    return sample(name, Map.of(), (double) value);
  }

  public Exposition sample(String name, double value) {
    return sample(name, Map.of(), value);
  }

  private void escapeLabel(String v) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
  }

  static String number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      // Integral values print without ".0", as counts are conventionally shown.
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
