package dev.metropolis.metroctl.output;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A table whose rows may lack cells. Columns appear in the order they are first seen across rows; a
 * missing cell prints blank, and a column no row has does not exist. Each column is as wide as its
 * longest value or header plus three spaces; headers are the upper-cased column keys; cells are
 * left-aligned and padded to full width, trailing spaces included, so that every line of a column
 * starts at the same offset (the e2e tests split on whitespace).
 */
public final class SparseTable {
  static final int MARGIN = 3;

  private final List<String> columns = new ArrayList<>();
  private final List<Map<String, String>> rows = new ArrayList<>();

  /** Adds a row: column key (lower case) to cell, in the row's column order. */
  public void add(Map<String, String> row) {
    for (String key : row.keySet()) {
      if (!columns.contains(key)) {
        columns.add(key);
      }
    }
    rows.add(new LinkedHashMap<>(row));
  }

  /** Column keys in first-seen order. */
  public List<String> columns() {
    return List.copyOf(columns);
  }

  /** Renders every column; empty when there are no rows. */
  public String render() {
    return render(columns);
  }

  /** Renders the columns among {@code keep} (lower-case keys), in table order. */
  public String render(Set<String> keep) {
    return render(columns.stream().filter(keep::contains).toList());
  }

  private String render(List<String> shown) {
    if (rows.isEmpty() || shown.isEmpty()) {
      return "";
    }
    int[] widths = new int[shown.size()];
    for (int i = 0; i < shown.size(); i++) {
      int w = shown.get(i).length();
      for (Map<String, String> row : rows) {
        w = Math.max(w, row.getOrDefault(shown.get(i), "").length());
      }
      widths[i] = w + MARGIN;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < shown.size(); i++) {
      pad(sb, shown.get(i).toUpperCase(Locale.ROOT), widths[i]);
    }
    sb.append('\n');
    for (Map<String, String> row : rows) {
      for (int i = 0; i < shown.size(); i++) {
        pad(sb, row.getOrDefault(shown.get(i), ""), widths[i]);
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static void pad(StringBuilder sb, String cell, int width) {
    sb.append(cell);
    sb.repeat(' ', width - cell.length());
  }
}
