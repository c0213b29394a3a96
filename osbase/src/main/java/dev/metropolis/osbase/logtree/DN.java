package dev.metropolis.osbase.logtree;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A distinguished name: a dot-separated path in the supervision and log trees, e.g. {@code
 * root.role.controlplane}. The empty DN is the root of the log tree.
 *
 * <p>Each part is 1-64 characters of {@code [a-z0-9_\-/]}: dots are forbidden because DNs are split
 * on them; {@code -} and {@code /} are allowed so that names such as {@code console-/dev/tty0}
 * work.
 */
public record DN(String value) implements Comparable<DN> {
  private static final Pattern PART = Pattern.compile("[a-z0-9_\\-/]{1,64}");

  public static final DN ROOT = new DN("");

  public DN {
    if (!value.isEmpty()) {
      for (String part : value.split("\\.", -1)) {
        if (!PART.matcher(part).matches()) {
          throw new IllegalArgumentException(
              "invalid DN \""
                  + value
                  + "\": part \""
                  + part
                  + "\" must be 1-64 characters of [a-z0-9_-/]");
        }
      }
    }
  }

  public static DN of(String value) {
    return new DN(value);
  }

  /** Whether {@code name} is valid as one part of a DN. */
  public static boolean validPart(String name) {
    return PART.matcher(name).matches();
  }

  public DN child(String name) {
    if (!validPart(name)) {
      throw new IllegalArgumentException(
          "invalid name \""
              + name
              + "\" under \""
              + value
              + "\": must be 1-64 characters of [a-z0-9_-/]");
    }
    return new DN(value.isEmpty() ? name : value + "." + name);
  }

  public boolean isRoot() {
    return value.isEmpty();
  }

  /** The parent DN; the root's parent is the root. */
  public DN parent() {
    int i = value.lastIndexOf('.');
    return i < 0 ? ROOT : new DN(value.substring(0, i));
  }

  /** The last part of the path, or "" for the root. */
  public String name() {
    return value.substring(value.lastIndexOf('.') + 1);
  }

  public List<String> parts() {
    return value.isEmpty() ? List.of() : List.of(value.split("\\."));
  }

  /** Whether this DN is {@code other} or one of its ancestors. */
  public boolean contains(DN other) {
    return value.isEmpty()
        || other.value.equals(value)
        || (other.value.startsWith(value) && other.value.charAt(value.length()) == '.');
  }

  @Override
  public int compareTo(DN o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
