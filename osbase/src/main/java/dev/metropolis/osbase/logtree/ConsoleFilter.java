package dev.metropolis.osbase.logtree;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which log entries a console shows. A console is small and slow, so it shows everything except:
 *
 * <ul>
 *   <li><b>noisy</b> subtrees (third-party components such as etcd or the kubelet, which log at
 *       INFO all the time): only leveled entries at or above a minimum severity (WARNING by
 *       default); their raw output is hidden;
 *   <li><b>hidden</b> subtrees (e.g. RPC traces, kernel messages, which have their own consoles):
 *       nothing.
 * </ul>
 *
 * <p>A subtree is named either by a DN prefix ({@code root.kernel} covers {@code root.kernel} and
 * everything below it) or by a name: the name {@code etcd} covers every DN with a part {@code
 * etcd}, such as {@code root.role.controlplane.launcher.consensus.etcd} and the DNs below it. Name
 * matching keeps the filter independent of where the supervisor happens to place a component.
 */
public final class ConsoleFilter implements Predicate<LogEntry> {
  private final List<String> noisyNames;
  private final List<DN> noisySubtrees;
  private final List<String> hiddenNames;
  private final List<DN> hiddenSubtrees;
  private final Severity noisyMinimum;

  private ConsoleFilter(Builder b) {
    this.noisyNames = List.copyOf(b.noisyNames);
    this.noisySubtrees = List.copyOf(b.noisySubtrees);
    this.hiddenNames = List.copyOf(b.hiddenNames);
    this.hiddenSubtrees = List.copyOf(b.hiddenSubtrees);
    this.noisyMinimum = b.noisyMinimum;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The node console's filter: etcd and the Kubernetes components only at WARNING and above; RPC
   * traces and kernel messages hidden.
   */
  public static ConsoleFilter node() {
    return builder()
        .noisyNames("etcd", "kubelet", "apiserver", "controller-manager", "scheduler")
        .hiddenNames("rpc")
        .hiddenSubtrees(DN.of("root.kernel"))
        .build();
  }

  @Override
  public boolean test(LogEntry e) {
    DN dn = e.dn();
    if (matches(dn, hiddenNames, hiddenSubtrees)) {
      return false;
    }
    if (matches(dn, noisyNames, noisySubtrees)) {
      return e instanceof LogEntry.Leveled l && l.severity().atLeast(noisyMinimum);
    }
    return true;
  }

  private static boolean matches(DN dn, List<String> names, List<DN> subtrees) {
    for (DN s : subtrees) {
      if (s.contains(dn)) {
        return true;
      }
    }
    String v = dn.value();
    for (String name : names) {
      if (hasPart(v, name)) {
        return true;
      }
    }
    return false;
  }

  // Whether name is one of the dot-separated parts of v, without splitting v.
  private static boolean hasPart(String v, String name) {
    int from = 0;
    while (true) {
      int i = v.indexOf(name, from);
      if (i < 0) {
        return false;
      }
      int end = i + name.length();
      if ((i == 0 || v.charAt(i - 1) == '.') && (end == v.length() || v.charAt(end) == '.')) {
        return true;
      }
      from = i + 1;
    }
  }

  @Override
  public String toString() {
    return "ConsoleFilter{noisy names="
        + noisyNames
        + ", noisy subtrees="
        + noisySubtrees
        + " (at "
        + noisyMinimum
        + "+), hidden names="
        + hiddenNames
        + ", hidden subtrees="
        + hiddenSubtrees
        + "}";
  }

  /** Collects the noisy and hidden subtrees. */
  public static final class Builder {
    private final Set<String> noisyNames = new LinkedHashSet<>();
    private final List<DN> noisySubtrees = new ArrayList<>();
    private final Set<String> hiddenNames = new LinkedHashSet<>();
    private final List<DN> hiddenSubtrees = new ArrayList<>();
    private Severity noisyMinimum = Severity.WARNING;

    private Builder() {}

    /** Every DN with one of these names as a part, and the DNs below it, is noisy. */
    public Builder noisyNames(String... names) {
      for (String n : names) {
        noisyNames.add(checkName(n));
      }
      return this;
    }

    /** These DNs and everything below them are noisy. */
    public Builder noisySubtrees(DN... dns) {
      noisySubtrees.addAll(List.of(dns));
      return this;
    }

    /** Every DN with one of these names as a part, and the DNs below it, is hidden. */
    public Builder hiddenNames(String... names) {
      for (String n : names) {
        hiddenNames.add(checkName(n));
      }
      return this;
    }

    /** These DNs and everything below them are hidden. */
    public Builder hiddenSubtrees(DN... dns) {
      hiddenSubtrees.addAll(List.of(dns));
      return this;
    }

    /** The least severity shown from noisy subtrees; WARNING unless set. */
    public Builder noisyMinimum(Severity minimum) {
      noisyMinimum = minimum;
      return this;
    }

    public ConsoleFilter build() {
      return new ConsoleFilter(this);
    }

    private static String checkName(String name) {
      if (!DN.validPart(name)) {
        throw new IllegalArgumentException(
            "invalid DN part \"" + name + "\": must be 1-64 characters of [a-z0-9_-/]");
      }
      return name;
    }
  }
}
