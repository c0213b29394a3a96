package dev.metropolis.osbase.logtree;

/** Writes raw lines at one DN; text is split on newlines and each line capped. */
public final class RawLogger {
  private final LogTree tree;
  private final DN dn;

  RawLogger(LogTree tree, DN dn) {
    this.tree = tree;
    this.dn = dn;
  }

  public DN dn() {
    return dn;
  }

  /** Appends one entry per line of {@code text} (a trailing newline adds no empty entry). */
  public void write(String text) {
    int start = 0;
    int n = text.length();
    while (start < n) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = n;
      }
      tree.appendRaw(dn, text.substring(start, end));
      start = end + 1;
    }
  }
}
