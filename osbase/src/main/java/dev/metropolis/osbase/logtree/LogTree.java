package dev.metropolis.osbase.logtree;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * An in-memory tree of logs addressed by {@link DN}. Each DN keeps the last {@value #RING_SIZE}
 * entries in its own ring, so a chatty service cannot push out a quiet one's history.
 *
 * <p>Writing to {@code a.b} does not also write to {@code a}: subtrees are selected when reading.
 * Readers get a backlog and then, optionally, live entries; the backlog snapshot and the
 * subscription are taken atomically, so a reader sees no gap and no duplicate between them. Writers
 * never block on readers: a reader whose buffer is full misses entries and is told how many (see
 * {@link LogReader#missed()}).
 */
public final class LogTree {
  public static final int RING_SIZE = 8192;

  private final Clock clock;
  private final int ringSize;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<DN, Ring> rings = new TreeMap<>();
  private final Set<DN> known = new TreeSet<>();
  private final List<LogReader> readers = new CopyOnWriteArrayList<>();
  private long nextSeq = 1;

  public LogTree() {
    this(Clock.systemUTC(), RING_SIZE);
  }

  public LogTree(Clock clock) {
    this(clock, RING_SIZE);
  }

  /** For tests: a smaller ring. */
  public LogTree(Clock clock, int ringSize) {
    if (ringSize < 1) {
      throw new IllegalArgumentException("ring size must be positive");
    }
    this.clock = clock;
    this.ringSize = ringSize;
    known.add(DN.ROOT);
  }

  /** A leveled logger writing at {@code dn}. The DN becomes known (readable) at once. */
  public Logger logger(DN dn) {
    register(dn);
    return new Logger(this, dn);
  }

  /** A writer of raw lines at {@code dn}, e.g. for a child process's output. */
  public RawLogger raw(DN dn) {
    register(dn);
    return new RawLogger(this, dn);
  }

  /** Makes {@code dn} (and its ancestors) known, so reads of it succeed before any entry. */
  public void register(DN dn) {
    lock.lock();
    try {
      for (DN d = dn; known.add(d); d = d.parent()) {
        if (d.isRoot()) {
          break;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Whether anything was ever registered or written at {@code dn} or below it. */
  public boolean exists(DN dn) {
    lock.lock();
    try {
      return known.contains(dn);
    } finally {
      lock.unlock();
    }
  }

  /** All known DNs, sorted. */
  public List<DN> dns() {
    lock.lock();
    try {
      return List.copyOf(known);
    } finally {
      lock.unlock();
    }
  }

  void appendLeveled(DN dn, Severity severity, String location, List<String> lines) {
    lock.lock();
    try {
      append(new LogEntry.Leveled(dn, nextSeq++, clock.instant(), severity, location, lines));
    } finally {
      lock.unlock();
    }
  }

  void appendRaw(DN dn, String line) {
    int len = line.length();
    String data = len > LogEntry.MAX_RAW_LINE ? line.substring(0, LogEntry.MAX_RAW_LINE) : line;
    lock.lock();
    try {
      append(new LogEntry.Raw(dn, nextSeq++, clock.instant(), data, len));
    } finally {
      lock.unlock();
    }
  }

  // Called with the lock held.
  private void append(LogEntry e) {
    DN dn = e.dn();
    Ring ring = rings.get(dn);
    if (ring == null) {
      ring = new Ring(ringSize);
      rings.put(dn, ring);
      for (DN d = dn; known.add(d) && !d.isRoot(); d = d.parent()) {}
    }
    ring.add(e);
    for (LogReader r : readers) {
      r.offer(e);
    }
  }

  /**
   * Opens a reader of {@code dn}. The backlog is available at once from {@link
   * LogReader#backlog()}; live entries (when {@link ReadOptions#stream()}) from {@link
   * LogReader#take()}. Close the reader when done.
   *
   * @throws IllegalArgumentException when {@code dn} is not known
   */
  public LogReader read(DN dn, ReadOptions options) {
    Predicate<LogEntry> filter = options.filter(dn);
    lock.lock();
    try {
      if (!known.contains(dn)) {
        throw new IllegalArgumentException("unknown DN \"" + dn + "\"");
      }
      List<LogEntry> backlog = backlog(dn, options, filter);
      LogReader reader = new LogReader(this, filter, backlog, options.stream(), options.buffer());
      if (options.stream()) {
        readers.add(reader);
      }
      return reader;
    } finally {
      lock.unlock();
    }
  }

  // Called with the lock held.
  private List<LogEntry> backlog(DN dn, ReadOptions options, Predicate<LogEntry> filter) {
    int want = options.backlog();
    if (want == 0) {
      return List.of();
    }
    List<LogEntry> out = new ArrayList<>();
    if (!options.withChildren()) {
      Ring ring = rings.get(dn);
      if (ring != null) {
        ring.collect(filter, out);
      }
    } else {
      for (var e : rings.entrySet()) {
        if (dn.contains(e.getKey())) {
          e.getValue().collect(filter, out);
        }
      }
      out.sort(Comparator.comparingLong(LogEntry::seq));
    }
    if (want > 0 && out.size() > want) {
      return List.copyOf(out.subList(out.size() - want, out.size()));
    }
    return out;
  }

  void close(LogReader reader) {
    readers.remove(reader);
  }

  /** Number of open streaming readers (for tests and metrics). */
  public int streamingReaders() {
    return readers.size();
  }

  /** A fixed-size ring of the newest entries at one DN. */
  private static final class Ring {
    private final LogEntry[] entries;
    private int next;
    private int size;

    Ring(int capacity) {
      entries = new LogEntry[capacity];
    }

    void add(LogEntry e) {
      entries[next] = e;
      next = (next + 1) % entries.length;
      if (size < entries.length) {
        size++;
      }
    }

    void collect(Predicate<LogEntry> filter, List<LogEntry> out) {
      int start = (next - size + entries.length) % entries.length;
      for (int i = 0; i < size; i++) {
        LogEntry e = entries[(start + i) % entries.length];
        if (filter.test(e)) {
          out.add(e);
        }
      }
    }
  }
}
