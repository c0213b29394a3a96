package dev.metropolis.osbase.logtree;

/** Severity of a leveled log entry, in increasing order. */
public enum Severity {
  INFO('I'),
  WARNING('W'),
  ERROR('E'),
  FATAL('F');

  private final char letter;

  Severity(char letter) {
    this.letter = letter;
  }

  /** The glog-style single letter: I, W, E or F. */
  public char letter() {
    return letter;
  }

  public boolean atLeast(Severity minimum) {
    return compareTo(minimum) >= 0;
  }

  /** Parses a name such as {@code warning} or {@code W}, case-insensitively. */
  public static Severity parse(String s) {
    for (Severity v : values()) {
      if (v.name().equalsIgnoreCase(s)
          || (s.length() == 1 && Character.toUpperCase(s.charAt(0)) == v.letter)) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        "invalid severity \"" + s + "\": want one of INFO, WARNING, ERROR, FATAL");
  }
}
