package dev.metropolis.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return new CommandLine(new Main()).setErr(new PrintWriter(err, true)).execute(args);
  }

  @Test
  void needsExactlyOneWayToGetTheAddress() {
    assertThat(run("--state-dir", "/tmp/x")).isEqualTo(2);
    assertThat(err.toString())
        .contains("Missing required argument (specify one of these)")
        .contains("--address=ADDR")
        .contains("--dhcp-interface=IFACE");
    assertThat(run("--state-dir", "/tmp/x", "--address", "10.1.0.2", "--dhcp-interface", "eth0"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("are mutually exclusive");
  }
}
