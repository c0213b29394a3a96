package dev.metropolis.metroctl;

import dev.metropolis.api.common.NodeLabels;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The label arguments of {@code node label} and {@code node unlabel}. Only their shape is checked
 * here; whether a key or value is a valid label is the cluster's to judge (its answer names the
 * rule), so that the rules live in one place.
 */
final class LabelArgs {
  private LabelArgs() {}

  /**
   * {@code key=value} arguments as label pairs, split at the first {@code =} (values cannot contain
   * one anyway).
   *
   * @throws IllegalArgumentException for an argument without {@code =} or key, or a key given twice
   */
  static List<NodeLabels.Pair> upserts(List<String> args) {
    List<NodeLabels.Pair> pairs = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            "label \"" + a + "\": expected KEY=VALUE (to remove a label, use `node unlabel`)");
      }
      String key = a.substring(0, eq);
      if (key.isEmpty()) {
        throw new IllegalArgumentException("label \"" + a + "\": the key is empty");
      }
      if (!seen.add(key)) {
        throw new IllegalArgumentException("label key \"" + key + "\" is given more than once");
      }
      pairs.add(NodeLabels.Pair.newBuilder().setKey(key).setValue(a.substring(eq + 1)).build());
    }
    return pairs;
  }

  /**
   * Label keys to remove, each once.
   *
   * @throws IllegalArgumentException for an empty key or a {@code key=value} argument, which
   *     suggests the operator meant {@code node label}
   */
  static List<String> deletes(List<String> args) {
    List<String> keys = new ArrayList<>();
    for (String a : args) {
      if (a.isEmpty()) {
        throw new IllegalArgumentException("label key is empty");
      }
      if (a.contains("=")) {
        throw new IllegalArgumentException(
            "\""
                + a
                + "\": expected a label key without a value (to set a label, use `node label`)");
      }
      if (!keys.contains(a)) {
        keys.add(a);
      }
    }
    return keys;
  }
}
