package dev.metropolis.osbase.logtree;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ConsoleWriterTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-24T13:30:45.996960Z"), ZoneOffset.UTC);

  private final LogTree tree = new LogTree(CLOCK);

  /** Collects output and lets the test wait for a number of lines. */
  private static final class Console extends OutputStream {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final Semaphore lines = new Semaphore(0);
    // Released by the test to let writes through; starts open unless gated.
    private final CountDownLatch gate;
    private final CountDownLatch entered = new CountDownLatch(1);

    Console(boolean gated) {
      gate = new CountDownLatch(gated ? 1 : 0);
    }

    @Override
    public void write(int b) {
      entered.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      synchronized (bytes) {
        bytes.write(b);
      }
      if (b == '\n') {
        lines.release();
      }
    }

    void awaitLines(int n) throws InterruptedException {
      lines.acquire(n);
    }

    List<String> text() {
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
      }
    }
  }

  @Test
  void writesFormattedEntriesThatPassTheFilterInOrder() throws Exception {
    var console = new Console(false);
    Logger enrolment = tree.logger(DN.of("root.enrolment"));
    Logger etcd = tree.logger(DN.of("root.consensus.etcd"));
    RawLogger net = tree.raw(DN.of("root.network"));
    try (var w =
        ConsoleWriter.start(
            tree, ConsoleFilter.node(), new PrintStream(console, false, StandardCharsets.UTF_8))) {
      enrolment.info("bootstrapping");
      etcd.info("raft chatter");
      tree.raw(DN.of("root.consensus.etcd")).write("{\"level\":\"info\"}");
      etcd.warning("slow disk");
      net.write("dhcp: lease acquired");
      console.awaitLines(3);
      assertThat(w.isRunning()).isTrue();
      assertThat(w.missed()).isZero();
    }
    List<String> out = console.text();
    assertThat(out).hasSize(3);
    assertThat(out.get(0))
        .startsWith(
            "root.enrolment" + " ".repeat(18) + " I1124 13:30:45.996960 ConsoleWriterTest.java:");
    assertThat(out.get(0)).endsWith("] bootstrapping");
    assertThat(out.get(1)).startsWith("root.consensus.etcd" + " ".repeat(13) + " W");
    assertThat(out.get(1)).endsWith("] slow disk");
    assertThat(out.get(2)).isEqualTo("root.network" + " ".repeat(20) + " R dhcp: lease acquired");
  }

  @Test
  void backlogIsWrittenFirstWhenAskedFor() throws Exception {
    var console = new Console(false);
    tree.raw(DN.of("root.early")).write("before the console");
    try (var w =
        ConsoleWriter.start(tree, e -> true, new PrintStream(console), ReadOptions.ALL, 16)) {
      tree.raw(DN.of("root.late")).write("after");
      console.awaitLines(2);
      assertThat(w.missed()).isZero();
    }
    assertThat(console.text())
        .containsExactly(
            "root.early" + " ".repeat(22) + " R before the console",
            "root.late" + " ".repeat(23) + " R after");
  }

  @Test
  void closeStopsTheThreadAndUnsubscribes() throws Exception {
    var console = new Console(false);
    var w = ConsoleWriter.start(tree, e -> true, new PrintStream(console));
    assertThat(tree.streamingReaders()).isEqualTo(1);
    w.close();
    assertThat(w.isRunning()).isFalse();
    assertThat(tree.streamingReaders()).isZero();
    tree.raw(DN.of("a")).write("after close");
    assertThat(console.text()).isEmpty();
    w.close(); // idempotent
  }

  @Test
  void slowConsoleDropsEntriesAndSaysHowMany() throws Exception {
    var console = new Console(true);
    RawLogger raw = tree.raw(DN.of("a"));
    try (var w = ConsoleWriter.start(tree, e -> true, new PrintStream(console), 0, 2)) {
      raw.write("0");
      // The writer has taken entry 0 and is stuck writing it: its buffer is now empty.
      console.entered.await();
      for (int i = 1; i < 10; i++) {
        raw.write(Integer.toString(i));
      }
      // 1 and 2 fit the buffer; 3..9 are dropped.
      assertThat(w.missed()).isEqualTo(7);
      console.gate.countDown();
      console.awaitLines(4);
    }
    String pad = "a" + " ".repeat(31) + " R ";
    assertThat(console.text())
        .containsExactly(
            pad + "0", "logtree: console fell behind, 7 entries not shown", pad + "1", pad + "2");
  }

  @Test
  void hiddenEntriesTakeNoBufferSpace() throws Exception {
    var console = new Console(true);
    try (var w = ConsoleWriter.start(tree, ConsoleFilter.node(), new PrintStream(console), 0, 1)) {
      tree.raw(DN.of("root.x")).write("shown");
      console.entered.await();
      RawLogger kernel = tree.raw(DN.of("root.kernel"));
      for (int i = 0; i < 100; i++) {
        kernel.write("hidden");
      }
      tree.raw(DN.of("root.x")).write("also shown");
      assertThat(w.missed()).isZero();
      console.gate.countDown();
      console.awaitLines(2);
    }
    assertThat(console.text()).hasSize(2).allMatch(l -> l.contains("shown"));
  }
}
