package dev.metropolis.osbase.logtree;

import java.util.Optional;
import java.util.function.Predicate;

/**
 * What a {@link LogReader} returns.
 *
 * @param withChildren read the whole subtree under the DN, not only the DN itself
 * @param onlyRaw only raw entries
 * @param onlyLeveled only leveled entries
 * @param minimumSeverity only leveled entries at or above this severity (implies onlyLeveled)
 * @param backlog how many past entries: {@link #ALL} (-1), none (0) or the last N
 * @param stream whether to subscribe to new entries after the backlog
 * @param buffer how many streamed entries may wait for a slow reader before entries are missed
 */
public record ReadOptions(
    boolean withChildren,
    boolean onlyRaw,
    boolean onlyLeveled,
    Optional<Severity> minimumSeverity,
    int backlog,
    boolean stream,
    int buffer) {
  public static final int ALL = -1;
  public static final int DEFAULT_BUFFER = 1024;

  public ReadOptions {
    if (onlyRaw && (onlyLeveled || minimumSeverity.isPresent())) {
      throw new IllegalArgumentException("only-raw cannot be combined with leveled filters");
    }
    if (backlog < ALL) {
      throw new IllegalArgumentException("backlog must be -1 (all), 0 (none) or a count");
    }
    if (buffer < 1) {
      throw new IllegalArgumentException("buffer must be positive");
    }
  }

  /** The whole backlog of one DN, no streaming. */
  public static ReadOptions backlogOnly() {
    return new ReadOptions(false, false, false, Optional.empty(), ALL, false, DEFAULT_BUFFER);
  }

  public ReadOptions withChildren(boolean v) {
    return new ReadOptions(v, onlyRaw, onlyLeveled, minimumSeverity, backlog, stream, buffer);
  }

  public ReadOptions onlyRaw(boolean v) {
    return new ReadOptions(withChildren, v, onlyLeveled, minimumSeverity, backlog, stream, buffer);
  }

  public ReadOptions onlyLeveled(boolean v) {
    return new ReadOptions(withChildren, onlyRaw, v, minimumSeverity, backlog, stream, buffer);
  }

  public ReadOptions minimumSeverity(Severity v) {
    return new ReadOptions(
        withChildren, onlyRaw, onlyLeveled, Optional.of(v), backlog, stream, buffer);
  }

  public ReadOptions backlog(int v) {
    return new ReadOptions(withChildren, onlyRaw, onlyLeveled, minimumSeverity, v, stream, buffer);
  }

  public ReadOptions stream(boolean v) {
    return new ReadOptions(withChildren, onlyRaw, onlyLeveled, minimumSeverity, backlog, v, buffer);
  }

  public ReadOptions buffer(int v) {
    return new ReadOptions(withChildren, onlyRaw, onlyLeveled, minimumSeverity, backlog, stream, v);
  }

  Predicate<LogEntry> filter(DN dn) {
    return e -> {
      if (withChildren ? !dn.contains(e.dn()) : !dn.equals(e.dn())) {
        return false;
      }
      return switch (e) {
        case LogEntry.Raw r -> !onlyLeveled && minimumSeverity.isEmpty();
        case LogEntry.Leveled l ->
            !onlyRaw && minimumSeverity.map(m -> l.severity().atLeast(m)).orElse(true);
      };
    };
  }
}
