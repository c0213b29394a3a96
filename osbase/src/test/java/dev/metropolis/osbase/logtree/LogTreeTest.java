package dev.metropolis.osbase.logtree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LogTreeTest {
  static final Instant NOW = Instant.parse("2026-11-24T13:30:45.996960Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private final LogTree tree = new LogTree(CLOCK);

  private static ReadOptions all() {
    return ReadOptions.backlogOnly();
  }

  private List<LogEntry> read(String dn, ReadOptions options) {
    try (LogReader r = tree.read(DN.of(dn), options)) {
      return r.backlog();
    }
  }

  private static List<String> messages(List<LogEntry> entries) {
    return entries.stream()
        .map(e ->
            switch (e) {
              case LogEntry.Leveled l -> l.message();
              case LogEntry.Raw r -> r.data();
            })
        .toList();
  }

  private static List<String> dns(List<LogEntry> entries) {
    return entries.stream().map(e -> e.dn().value()).toList();
  }

  // --- retention ---------------------------------------------------------------------------

  @Test
  void ringKeepsNewest8192EntriesPerDn() {
    assertThat(LogTree.RING_SIZE).isEqualTo(8192);
    Logger log = tree.logger(DN.of("root.chatty"));
    for (int i = 0; i < 8192 + 100; i++) {
      log.info("m%d", i);
    }
    List<LogEntry> got = read("root.chatty", all());
    assertThat(got).hasSize(8192);
    assertThat(messages(got).getFirst()).isEqualTo("m100");
    assertThat(messages(got).getLast()).isEqualTo("m8291");
  }

  @Test
  void chattyDnDoesNotEvictAnotherDnsEntries() {
    tree.logger(DN.of("root.quiet")).info("still here");
    Logger chatty = tree.logger(DN.of("root.chatty"));
    for (int i = 0; i < 3 * 8192; i++) {
      chatty.info("noise");
    }
    assertThat(messages(read("root.quiet", all()))).containsExactly("still here");
    List<LogEntry> whole = read("", all().withChildren(true));
    assertThat(whole).hasSize(8192 + 1);
    assertThat(messages(whole).getFirst()).isEqualTo("still here");
  }

  @Test
  void smallRingDropsOldestFirst() {
    LogTree small = new LogTree(CLOCK, 3);
    RawLogger raw = small.raw(DN.of("a"));
    raw.write("1\n2\n3\n4\n5\n");
    try (LogReader r = small.read(DN.of("a"), all())) {
      assertThat(messages(r.backlog())).containsExactly("3", "4", "5");
    }
  }

  @Test
  void ringReturnsTheNewestEntriesAtEveryFillLevel() {
    // The ring grows its array on demand; check every size around the growth and wrap points.
    for (int capacity : new int[] {1, 3, 16, 17, 33, 40}) {
      for (int n = 0; n <= 100; n++) {
        LogTree t = new LogTree(CLOCK, capacity);
        RawLogger raw = t.raw(DN.of("a"));
        for (int i = 0; i < n; i++) {
          raw.write(Integer.toString(i));
        }
        List<String> expected = new ArrayList<>();
        for (int i = Math.max(0, n - capacity); i < n; i++) {
          expected.add(Integer.toString(i));
        }
        try (LogReader r = t.read(DN.of("a"), all())) {
          assertThat(messages(r.backlog()))
              .as("capacity %d, %d entries", capacity, n)
              .isEqualTo(expected);
        }
        try (LogReader r = t.read(DN.of("a"), all().backlog(2))) {
          assertThat(messages(r.backlog()))
              .isEqualTo(expected.subList(Math.max(0, expected.size() - 2), expected.size()));
        }
      }
    }
  }

  // --- leveled entries ---------------------------------------------------------------------

  @Test
  void leveledEntryCarriesSeverityTimestampAndCallerLocation() {
    Logger log = tree.logger(DN.of("root.enrolment"));
    int line = new Throwable().getStackTrace()[0].getLineNumber() + 1;
    log.warning("disk %s is %d%% full", "sda", 93);
    LogEntry.Leveled e = (LogEntry.Leveled) read("root.enrolment", all()).getFirst();
    assertThat(e.severity()).isEqualTo(Severity.WARNING);
    assertThat(e.timestamp()).isEqualTo(NOW);
    assertThat(e.location()).isEqualTo("LogTreeTest.java:" + line);
    assertThat(e.message()).isEqualTo("disk sda is 93% full");
    assertThat(e.dn()).isEqualTo(DN.of("root.enrolment"));
  }

  @Test
  void eachSeverityMethodLogsItsSeverity() {
    Logger log = tree.logger(DN.of("a"));
    log.info("i");
    log.warning("w");
    log.error("e");
    log.fatal("f");
    log.log(Severity.ERROR, "via log");
    assertThat(read("a", all()))
        .map(e -> ((LogEntry.Leveled) e).severity())
        .containsExactly(
            Severity.INFO, Severity.WARNING, Severity.ERROR, Severity.FATAL, Severity.ERROR);
  }

  @Test
  void messageWithoutArgumentsIsNotFormatted() {
    tree.logger(DN.of("a")).info("100% done %s");
    assertThat(messages(read("a", all()))).containsExactly("100% done %s");
  }

  @Test
  void multiLineMessageStaysOneEntry() {
    tree.logger(DN.of("a")).error("first\nsecond\nthird");
    List<LogEntry> got = read("a", all());
    assertThat(got).hasSize(1);
    assertThat(((LogEntry.Leveled) got.getFirst()).lines())
        .containsExactly("first", "second", "third");
  }

  @Test
  void logAtUsesTheGivenLocation() {
    tree.logger(DN.of("a")).logAt(Severity.INFO, "server.go:12", "parsed");
    assertThat(((LogEntry.Leveled) read("a", all()).getFirst()).location())
        .isEqualTo("server.go:12");
  }

  @Test
  void sequenceNumbersIncreaseAcrossDns() {
    tree.logger(DN.of("a")).info("1");
    tree.raw(DN.of("b")).write("2");
    tree.logger(DN.of("a")).info("3");
    List<LogEntry> got = read("", all().withChildren(true));
    assertThat(got).map(LogEntry::seq).isSorted().doesNotHaveDuplicates();
    assertThat(messages(got)).containsExactly("1", "2", "3");
  }

  // --- raw entries -------------------------------------------------------------------------

  @Test
  void rawTextIsSplitOnNewlines() {
    RawLogger raw = tree.raw(DN.of("proc"));
    raw.write("one\ntwo\n");
    raw.write("three");
    raw.write("\nfive\n");
    assertThat(messages(read("proc", all()))).containsExactly("one", "two", "three", "", "five");
  }

  @Test
  void rawLinesAreCappedAt1024KeepingOriginalLength() {
    RawLogger raw = tree.raw(DN.of("proc"));
    raw.write("x".repeat(1024));
    raw.write("y".repeat(5000) + "\nshort");
    List<LogEntry> got = read("proc", all());
    assertThat(got).hasSize(3);
    var exact = (LogEntry.Raw) got.get(0);
    assertThat(exact.data()).hasSize(1024);
    assertThat(exact.originalLength()).isEqualTo(1024);
    var capped = (LogEntry.Raw) got.get(1);
    assertThat(capped.data()).isEqualTo("y".repeat(1024));
    assertThat(capped.originalLength()).isEqualTo(5000);
    var shortLine = (LogEntry.Raw) got.get(2);
    assertThat(shortLine.data()).isEqualTo("short");
    assertThat(shortLine.originalLength()).isEqualTo(5);
    assertThat(shortLine.timestamp()).isEqualTo(NOW);
  }

  @Test
  void rawCapDoesNotSplitSurrogatePair() {
    String line = "a".repeat(1023) + "\uD83D\uDE00" + "tail";
    tree.raw(DN.of("proc")).write(line);
    var e = (LogEntry.Raw) read("proc", all()).getFirst();
    assertThat(e.data()).isEqualTo("a".repeat(1023));
    assertThat(e.originalLength()).isEqualTo(line.length());
  }

  // --- backlog -----------------------------------------------------------------------------

  @Test
  void backlogNoneAllAndLastN() {
    Logger log = tree.logger(DN.of("a"));
    for (int i = 1; i <= 10; i++) {
      log.info("%d", i);
    }
    assertThat(read("a", all().backlog(0))).isEmpty();
    assertThat(read("a", all().backlog(ReadOptions.ALL))).hasSize(10);
    assertThat(messages(read("a", all().backlog(3)))).containsExactly("8", "9", "10");
    assertThat(read("a", all().backlog(100))).hasSize(10);
  }

  @Test
  void lastNWithChildrenIsNewestNOfTheSubtreeInOrder() {
    Logger a = tree.logger(DN.of("a"));
    Logger ab = tree.logger(DN.of("a.b"));
    a.info("1");
    ab.info("2");
    ab.info("3");
    a.info("4");
    ab.info("5");
    assertThat(messages(read("a", all().withChildren(true).backlog(3))))
        .containsExactly("3", "4", "5");
  }

  @Test
  void lastNCountsOnlyMatchingEntries() {
    Logger log = tree.logger(DN.of("a"));
    RawLogger raw = tree.raw(DN.of("a"));
    log.info("l1");
    log.warning("l2");
    raw.write("r1\nr2\nr3");
    log.info("l3");
    raw.write("r4");
    assertThat(messages(read("a", all().onlyLeveled(true).backlog(2)))).containsExactly("l2", "l3");
    assertThat(messages(read("a", all().minimumSeverity(Severity.WARNING).backlog(2))))
        .containsExactly("l2");
  }

  @Test
  void lastNOfASubtreeIsTheTailOfTheWholeSubtree() {
    // Small rings so that some DNs have wrapped; a fixed seed keeps the test deterministic.
    LogTree t = new LogTree(CLOCK, 50);
    var random = new java.util.Random(42);
    Severity[] severities = Severity.values();
    for (int i = 0; i < 3000; i++) {
      DN dn = DN.of("s.d" + random.nextInt(12) + (random.nextBoolean() ? ".c" : ""));
      if (random.nextInt(4) == 0) {
        t.raw(dn).write("r" + i);
      } else {
        t.logger(dn).logAt(severities[random.nextInt(4)], "F.java:1", "l" + i);
      }
    }
    t.raw(DN.of("other")).write("outside");
    for (ReadOptions base :
        List.of(
            all().withChildren(true),
            all().withChildren(true).minimumSeverity(Severity.ERROR),
            all().withChildren(true).onlyRaw(true))) {
      List<LogEntry> whole;
      try (LogReader r = t.read(DN.of("s"), base)) {
        whole = r.backlog();
      }
      assertThat(whole).map(LogEntry::seq).isSorted().doesNotHaveDuplicates();
      for (int n : new int[] {1, 2, 17, 100, 599, 600, 601, 5000}) {
        try (LogReader r = t.read(DN.of("s"), base.backlog(n))) {
          assertThat(r.backlog())
              .as("last %d of %s", n, base)
              .isEqualTo(whole.subList(Math.max(0, whole.size() - n), whole.size()));
        }
      }
    }
  }

  // --- subtree selection -------------------------------------------------------------------

  @Test
  void exactReadExcludesChildrenAndWithChildrenIncludesThem() {
    for (String dn : List.of("a", "a.b", "ab", "a-b", "a/b", "a.b.c", "b", "a.z")) {
      tree.logger(DN.of(dn)).info(dn);
    }
    assertThat(dns(read("a", all()))).containsExactly("a");
    assertThat(dns(read("a", all().withChildren(true))))
        .containsExactly("a", "a.b", "a.b.c", "a.z");
    assertThat(dns(read("a.b", all().withChildren(true)))).containsExactly("a.b", "a.b.c");
    assertThat(dns(read("", all().withChildren(true))))
        .containsExactly("a", "a.b", "ab", "a-b", "a/b", "a.b.c", "b", "a.z");
    assertThat(read("", all())).isEmpty();
  }

  @Test
  void writingToChildDoesNotWriteToParent() {
    tree.logger(DN.of("a.b")).info("child");
    assertThat(tree.exists(DN.of("a"))).isTrue();
    assertThat(read("a", all())).isEmpty();
  }

  // --- kind and severity filters -----------------------------------------------------------

  @Test
  void onlyRawOnlyLeveledAndMinimumSeverity() {
    Logger log = tree.logger(DN.of("a"));
    log.info("info");
    tree.raw(DN.of("a")).write("raw");
    log.warning("warning");
    log.error("error");
    log.fatal("fatal");
    assertThat(messages(read("a", all().onlyRaw(true)))).containsExactly("raw");
    assertThat(messages(read("a", all().onlyLeveled(true))))
        .containsExactly("info", "warning", "error", "fatal");
    assertThat(messages(read("a", all().minimumSeverity(Severity.ERROR))))
        .containsExactly("error", "fatal");
    assertThat(messages(read("a", all().minimumSeverity(Severity.INFO))))
        .containsExactly("info", "warning", "error", "fatal");
  }

  @Test
  void readOptionsRejectContradictions() {
    assertThatThrownBy(() -> all().onlyLeveled(true).onlyRaw(true))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> all().minimumSeverity(Severity.INFO).onlyRaw(true))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> all().backlog(-2)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> all().buffer(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void extraReadFilterAppliesToBacklogAndStream() throws Exception {
    Logger a = tree.logger(DN.of("a"));
    a.info("keep 1");
    a.info("drop 1");
    try (LogReader r =
        tree.read(
            DN.of("a"),
            all().stream(true).buffer(1),
            e -> ((LogEntry.Leveled) e).message().startsWith("keep"))) {
      assertThat(messages(r.backlog())).containsExactly("keep 1");
      a.info("drop 2");
      a.info("keep 2");
      a.info("drop 3");
      assertThat(((LogEntry.Leveled) r.take()).message()).isEqualTo("keep 2");
      // Rejected entries neither took buffer space nor count as missed.
      assertThat(r.missed()).isZero();
    }
  }

  // --- known DNs ---------------------------------------------------------------------------

  @Test
  void unknownDnIsRejectedNamingIt() {
    assertThatThrownBy(() -> tree.read(DN.of("root.nope"), all()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"root.nope\"");
  }

  @Test
  void registeredDnsAndTheirAncestorsAreReadableBeforeAnyEntry() {
    tree.register(DN.of("x.y.z"));
    tree.raw(DN.of("p.q"));
    assertThat(read("x.y.z", all())).isEmpty();
    assertThat(read("x", all().withChildren(true))).isEmpty();
    assertThat(tree.dns())
        .containsExactly(
            DN.ROOT, DN.of("p"), DN.of("p.q"), DN.of("x"), DN.of("x.y"), DN.of("x.y.z"));
  }

  @Test
  void rootIsAlwaysKnown() {
    assertThat(tree.exists(DN.ROOT)).isTrue();
    assertThat(read("", all().withChildren(true))).isEmpty();
  }

  // --- streaming ---------------------------------------------------------------------------

  @Test
  void streamDeliversNewEntriesMatchingTheRead() throws Exception {
    tree.logger(DN.of("a")).info("old");
    try (LogReader r = tree.read(DN.of("a"), all().backlog(0).stream(true))) {
      assertThat(r.backlog()).isEmpty();
      tree.logger(DN.of("b")).info("elsewhere");
      tree.logger(DN.of("a.c")).info("child, not in an exact read");
      tree.logger(DN.of("a")).info("new");
      assertThat(((LogEntry.Leveled) r.take()).message()).isEqualTo("new");
      assertThat(r.poll(0, TimeUnit.SECONDS)).isNull();
    }
  }

  @Test
  void streamingAfterBacklogHasNoGapAndNoDuplicatesUnderConcurrentWriters() throws Exception {
    final int writers = 4;
    final int perWriter = 5000;
    var halfway = new CountDownLatch(writers);
    var go = new CountDownLatch(1);
    var failure = new AtomicReference<Throwable>();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      Logger log = tree.logger(DN.of("w" + w));
      RawLogger raw = tree.raw(DN.of("w" + w + ".raw"));
      threads.add(
          Thread.ofPlatform()
              .start(() -> {
                try {
                  for (int i = 0; i < perWriter; i++) {
                    if (i % 2 == 0) {
                      log.info("%d", i);
                    } else {
                      raw.write(Integer.toString(i));
                    }
                    if (i == perWriter / 2) {
                      halfway.countDown();
                      go.await();
                    }
                  }
                } catch (Throwable t) {
                  failure.set(t);
                }
              }));
    }
    // Release the writers and open the reader while they write the second half.
    halfway.await();
    go.countDown();
    LogReader r =
        tree.read(DN.ROOT, all().withChildren(true).stream(true).buffer(writers * perWriter));
    for (Thread t : threads) {
      t.join();
    }
    assertThat(failure.get()).isNull();
    List<LogEntry> seen = new ArrayList<>(r.backlog());
    assertThat(seen).hasSizeGreaterThan(writers * (perWriter / 2));
    while (seen.size() < writers * perWriter) {
      LogEntry e = r.poll(10, TimeUnit.SECONDS);
      assertThat(e).as("entry %d", seen.size()).isNotNull();
      seen.add(e);
    }
    assertThat(r.poll(0, TimeUnit.SECONDS)).isNull();
    assertThat(r.missed()).isZero();
    r.close();
    // Every entry ever written, exactly once, in append order.
    List<Long> seqs = seen.stream().map(LogEntry::seq).toList();
    assertThat(seqs).isSorted().doesNotHaveDuplicates();
    assertThat(seqs.getFirst()).isEqualTo(1);
    assertThat(seqs.getLast()).isEqualTo((long) writers * perWriter);
    // And per writer, in the order it wrote them.
    for (int w = 0; w < writers; w++) {
      String prefix = "w" + w;
      List<String> mine =
          messages(seen.stream().filter(e -> e.dn().value().startsWith(prefix)).toList());
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < perWriter; i++) {
        expected.add(Integer.toString(i));
      }
      assertThat(mine).isEqualTo(expected);
    }
  }

  @Test
  void stalledReaderMissesEntriesAndStaysBounded() throws Exception {
    Logger log = tree.logger(DN.of("a"));
    try (LogReader r = tree.read(DN.of("a"), all().backlog(0).stream(true).buffer(10))) {
      for (int i = 0; i < 1000; i++) {
        log.info("%d", i);
        assertThat(r.buffered()).isLessThanOrEqualTo(10);
      }
      assertThat(r.buffered()).isEqualTo(10);
      assertThat(r.missed()).isEqualTo(990);
      // The buffer holds the oldest unread entries; newer ones were dropped.
      List<String> got = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        got.add(((LogEntry.Leveled) r.take()).message());
      }
      assertThat(got).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
      // Once drained, the reader keeps up again.
      log.info("after");
      assertThat(((LogEntry.Leveled) r.take()).message()).isEqualTo("after");
      assertThat(r.missed()).isEqualTo(990);
    }
    // The tree itself kept everything (up to the ring size).
    assertThat(read("a", all())).hasSize(1001);
  }

  @Test
  void closeUnsubscribesAndEndsTake() throws Exception {
    LogReader r = tree.read(DN.ROOT, all().withChildren(true).stream(true));
    assertThat(tree.streamingReaders()).isEqualTo(1);
    var result = new AtomicReference<Object>("unset");
    Thread taker =
        Thread.ofVirtual()
            .start(() -> {
              try {
                result.set(r.take());
              } catch (InterruptedException e) {
                result.set(e);
              }
            });
    // Wait until the taker is parked in take(), without sleeping.
    while (taker.getState() != Thread.State.WAITING) {
      Thread.onSpinWait();
    }
    r.close();
    taker.join();
    assertThat(result.get()).isNull();
    assertThat(tree.streamingReaders()).isZero();
    assertThat(r.isClosed()).isTrue();
    tree.logger(DN.of("a")).info("after close");
    assertThat(r.buffered()).isZero();
    assertThat(r.take()).isNull();
    r.close(); // idempotent
  }

  @Test
  void closeDropsBufferedEntries() throws Exception {
    LogReader r = tree.read(DN.ROOT, all().withChildren(true).stream(true));
    tree.logger(DN.of("a")).info("unread");
    assertThat(r.buffered()).isEqualTo(1);
    r.close();
    assertThat(r.buffered()).isZero();
    assertThat(r.poll(1, TimeUnit.SECONDS)).isNull();
  }

  @Test
  void takeOnNonStreamingReaderIsRejected() {
    tree.register(DN.of("a"));
    try (LogReader r = tree.read(DN.of("a"), all())) {
      assertThatThrownBy(r::take).isInstanceOf(IllegalStateException.class);
      assertThat(tree.streamingReaders()).isZero();
    }
  }

  @Test
  void interruptEndsTake() throws Exception {
    tree.register(DN.of("a"));
    try (LogReader r = tree.read(DN.of("a"), all().stream(true))) {
      Thread.currentThread().interrupt();
      try {
        assertThatThrownBy(r::take).isInstanceOf(InterruptedException.class);
      } finally {
        Thread.interrupted();
      }
    }
  }

  @Test
  void manyDnsWithChildrenReadMatchesAFullScan() {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < 64; i++) {
      String dn = "root.svc" + (i % 8) + (i >= 8 ? ".sub" + i : "");
      names.add(dn);
      tree.logger(DN.of(dn)).info(dn);
    }
    List<LogEntry> sub = read("root.svc3", all().withChildren(true));
    Set<String> expected =
        names.stream()
            .filter(n -> n.equals("root.svc3") || n.startsWith("root.svc3."))
            .collect(Collectors.toSet());
    assertThat(Set.copyOf(dns(sub))).isEqualTo(expected);
    assertThat(sub).map(LogEntry::seq).isSorted();
  }
}
