package dev.metropolis.osbase.logtree;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.NavigableMap;
import java.util.PriorityQueue;
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
  // Keyed by the DN's string so that a subtree is a contiguous key range (see subtree()).
  private final NavigableMap<String, Ring> rings = new TreeMap<>();
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
    String data = line;
    if (len > LogEntry.MAX_RAW_LINE) {
      int cut = LogEntry.MAX_RAW_LINE;
      // Do not keep half of a surrogate pair.
      if (Character.isHighSurrogate(line.charAt(cut - 1))) {
        cut--;
      }
      data = line.substring(0, cut);
    }
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
    Ring ring = rings.get(dn.value());
    if (ring == null) {
      ring = new Ring(ringSize);
      rings.put(dn.value(), ring);
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
    return read(dn, options, e -> true);
  }

  /**
   * Like {@link #read(DN, ReadOptions)}, with an extra filter on both backlog and live entries.
   * Entries the filter rejects take no space in the reader's buffer and never count as missed, so a
   * console that hides a chatty service is not made to drop the entries it does show. The filter
   * runs while the tree is locked: it must be fast and must not log.
   */
  public LogReader read(DN dn, ReadOptions options, Predicate<? super LogEntry> also) {
    Predicate<LogEntry> filter = options.filter(dn).and(also);
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
    int want = options.backlog() == ReadOptions.ALL ? Integer.MAX_VALUE : options.backlog();
    if (want == 0) {
      return List.of();
    }
    List<LogEntry> out = new ArrayList<>();
    if (!options.withChildren()) {
      Ring ring = rings.get(dn.value());
      if (ring != null) {
        ring.collect(filter, want, out);
      }
      return out;
    }
    Collection<Ring> subtree = subtree(dn);
    long total = 0;
    for (Ring ring : subtree) {
      total += ring.size;
    }
    if (want >= total) {
      // Everything: concatenating the rings' sorted runs and sorting them is the fastest merge.
      for (Ring ring : subtree) {
        ring.collect(filter, want, out);
      }
      out.sort(Comparator.comparingLong(LogEntry::seq));
      return out;
    }
    // The newest N: merge the rings from the newest entry backwards and stop after N, rather
    // than collecting and sorting the whole subtree.
    PriorityQueue<Cursor> newest = new PriorityQueue<>();
    for (Ring ring : subtree) {
      Cursor c = new Cursor(ring);
      if (c.valid()) {
        newest.add(c);
      }
    }
    while (out.size() < want && !newest.isEmpty()) {
      Cursor c = newest.poll();
      LogEntry e = c.entry;
      if (filter.test(e)) {
        out.add(e);
      }
      if (c.advance()) {
        newest.add(c);
      }
    }
    Collections.reverse(out);
    return out;
  }

  // The rings of dn and of every DN below it. Called with the lock held.
  private Collection<Ring> subtree(DN dn) {
    if (dn.isRoot()) {
      return rings.values();
    }
    List<Ring> out = new ArrayList<>();
    Ring own = rings.get(dn.value());
    if (own != null) {
      out.add(own);
    }
    // Descendants are exactly the keys starting with "dn." and those sort in ["dn.", "dn/"),
    // because '/' follows '.' directly. So "ab" is never taken for a child of "a".
    out.addAll(rings.subMap(dn.value() + ".", true, dn.value() + "/", false).values());
    return out;
  }

  void close(LogReader reader) {
    readers.remove(reader);
  }

  /** Number of open streaming readers (for tests and metrics). */
  public int streamingReaders() {
    return readers.size();
  }

  /**
   * The newest entries at one DN, up to a fixed capacity. The array starts small and doubles until
   * it reaches the capacity, so the many DNs that log a handful of lines stay cheap.
   */
  private static final class Ring {
    private static final int INITIAL = 16;

    private final int capacity;
    private LogEntry[] entries;
    private int next;
    private int size;

    Ring(int capacity) {
      this.capacity = capacity;
      this.entries = new LogEntry[Math.min(capacity, INITIAL)];
    }

    void add(LogEntry e) {
      if (size == entries.length && size < capacity) {
        // Never overwritten yet (size < capacity), so the entries are in order from index 0, and
        // next has wrapped to 0: continue after the last one.
        entries = Arrays.copyOf(entries, Math.min(capacity, size * 2));
        next = size;
      }
      entries[next] = e;
      next = (next + 1) % entries.length;
      if (size < entries.length) {
        size++;
      }
    }

    /** The i-th newest entry, 1-based. */
    LogEntry newest(int i) {
      return entries[Math.floorMod(next - i, entries.length)];
    }

    /** Appends the newest {@code limit} entries that pass {@code filter} to out, oldest first. */
    void collect(Predicate<LogEntry> filter, int limit, List<LogEntry> out) {
      int from = out.size();
      int taken = 0;
      for (int i = 1; i <= size && taken < limit; i++) {
        LogEntry e = entries[Math.floorMod(next - i, entries.length)];
        if (filter.test(e)) {
          out.add(e);
          taken++;
        }
      }
      Collections.reverse(out.subList(from, out.size()));
    }
  }

  /** Walks one ring from its newest entry back; ordered so that the newest entry comes first. */
  private static final class Cursor implements Comparable<Cursor> {
    private final Ring ring;
    private int i = 1;
    LogEntry entry;

    Cursor(Ring ring) {
      this.ring = ring;
      this.entry = ring.size > 0 ? ring.newest(1) : null;
    }

    boolean valid() {
      return entry != null;
    }

    boolean advance() {
      entry = ++i <= ring.size ? ring.newest(i) : null;
      return entry != null;
    }

    @Override
    public int compareTo(Cursor o) {
      return Long.compare(o.entry.seq(), entry.seq());
    }
  }
}
