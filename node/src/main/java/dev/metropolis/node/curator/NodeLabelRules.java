package dev.metropolis.node.curator;

import dev.metropolis.api.common.NodeLabels;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules node labels follow (reference §2.12), free of I/O so they are tested directly. A key is
 * an optional DNS-style prefix and a slash, then a name; name and value are 1-63 characters of
 * {@code [a-zA-Z0-9-._]} starting and ending alphanumeric. A node holds at most 128 labels.
 */
public final class NodeLabelRules {
  public static final int MAX_LABELS = 128;

  private static final Pattern NAME =
      Pattern.compile("[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private NodeLabelRules() {}

  /** Why {@code key} is not a valid label key, or empty when it is. */
  public static Optional<String> keyProblem(String key) {
    int slash = key.lastIndexOf('/');
    String name = slash < 0 ? key : key.substring(slash + 1);
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      if (prefix.isEmpty() || prefix.length() > 253) {
        return Optional.of("prefix must be 1-253 characters");
      }
      for (String l : prefix.split("\\.", -1)) {
        if (!DNS_LABEL.matcher(l).matches()) {
          return Optional.of("prefix \"" + prefix + "\" is not a lowercase DNS name");
        }
      }
    }
    if (!NAME.matcher(name).matches()) {
      return Optional.of(
          "name must be 1-63 characters of [a-zA-Z0-9-._], starting and ending alphanumeric");
    }
    return Optional.empty();
  }

  /** Why {@code value} is not a valid label value, or empty when it is. */
  public static Optional<String> valueProblem(String value) {
    if (!NAME.matcher(value).matches()) {
      return Optional.of(
          "value must be 1-63 characters of [a-zA-Z0-9-._], starting and ending alphanumeric");
    }
    return Optional.empty();
  }

  /**
   * Initial labels of a registering node: invalid and duplicate pairs are dropped (the node was
   * told so by its own validation) and at most {@link #MAX_LABELS} are kept.
   */
  public static NodeLabels sanitize(NodeLabels in) {
    Map<String, String> out = new LinkedHashMap<>();
    for (var p : in.getPairsList()) {
      if (out.size() >= MAX_LABELS) {
        break;
      }
      if (keyProblem(p.getKey()).isEmpty()
          && valueProblem(p.getValue()).isEmpty()
          && !out.containsKey(p.getKey())) {
        out.put(p.getKey(), p.getValue());
      }
    }
    return of(out);
  }

  /** A refused label change: which request field and what rule. */
  public static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean tooMany;

    Refusal(String message, boolean tooMany) {
      super(message);
      this.tooMany = tooMany;
    }

    /** True when the change is well-formed but leaves too many labels (OUT_OF_RANGE). */
    public boolean tooMany() {
      return tooMany;
    }
  }

  /**
   * Applies an UpdateNodeLabels request to a node's labels.
   *
   * @throws Refusal naming the field and the rule broken; nothing is applied then
   */
  public static NodeLabels apply(
      NodeLabels current, List<NodeLabels.Pair> upsert, List<String> delete) throws Refusal {
    Set<String> upserted = new HashSet<>();
    for (int i = 0; i < upsert.size(); i++) {
      var p = upsert.get(i);
      var kp = keyProblem(p.getKey());
      if (kp.isPresent()) {
        throw new Refusal("upsert[" + i + "].key: \"" + p.getKey() + "\": " + kp.get(), false);
      }
      var vp = valueProblem(p.getValue());
      if (vp.isPresent()) {
        throw new Refusal(
            "upsert["
                + i
                + "].value: \""
                + p.getValue()
                + "\" (key "
                + p.getKey()
                + "): "
                + vp.get(),
            false);
      }
      if (!upserted.add(p.getKey())) {
        throw new Refusal("upsert[" + i + "].key: \"" + p.getKey() + "\" given twice", false);
      }
    }
    for (int i = 0; i < delete.size(); i++) {
      String k = delete.get(i);
      var kp = keyProblem(k);
      if (kp.isPresent()) {
        throw new Refusal("delete[" + i + "]: \"" + k + "\": " + kp.get(), false);
      }
      if (upserted.contains(k)) {
        throw new Refusal(
            "delete[" + i + "]: \"" + k + "\" is also upserted; a key is either set or removed",
            false);
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (var p : current.getPairsList()) {
      out.put(p.getKey(), p.getValue());
    }
    for (var p : upsert) {
      out.put(p.getKey(), p.getValue());
    }
    delete.forEach(out::remove);
    if (out.size() > MAX_LABELS) {
      throw new Refusal(
          "upsert: the node would have "
              + out.size()
              + " labels, more than the limit of "
              + MAX_LABELS,
          true);
    }
    return of(out);
  }

  private static NodeLabels of(Map<String, String> m) {
    List<NodeLabels.Pair> pairs = new ArrayList<>();
    m.forEach((k, v) -> pairs.add(NodeLabels.Pair.newBuilder().setKey(k).setValue(v).build()));
    return NodeLabels.newBuilder().addAllPairs(pairs).build();
  }
}
