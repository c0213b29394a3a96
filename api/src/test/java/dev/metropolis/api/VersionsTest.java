package dev.metropolis.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class VersionsTest {
  private static Properties props(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }

  @Test
  void formatsLikeTheReference() {
    assertThat(
            Versions.format(
                Versions.parse(
                    props(
                        "release",
                        "0.1.0",
                        "commit",
                        "0d8a8a4f",
                        "commits_since_release",
                        "494",
                        "tree",
                        "dirty"))))
        .isEqualTo("v0.1.0-dev494.g0d8a8a4f.dirty");
    assertThat(
            Versions.format(
                Versions.parse(
                    props(
                        "release",
                        "1.2.3",
                        "commit",
                        "abcdef0123456",
                        "commits_since_release",
                        "0",
                        "tree",
                        "clean"))))
        .isEqualTo("v1.2.3.gabcdef01");
  }

  @Test
  void withoutGitItSaysNoStamp() {
    assertThat(Versions.format(Versions.parse(props("release", "0.1.0"))))
        .isEqualTo("v0.1.0-nostamp");
  }
}
