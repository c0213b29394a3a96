package dev.metropolis.kubernetes.controllers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Which pod names carry a StatefulSet ordinal (the rest of the set's pods are removed). */
class StatefulSetsTest {
  @Test
  void ordinalsAreCanonicalDecimalsAfterTheSetName() {
    assertThat(StatefulSets.ordinal("db", "db-0")).isEqualTo(OptionalInt.of(0));
    assertThat(StatefulSets.ordinal("db", "db-12")).isEqualTo(OptionalInt.of(12));
    assertThat(StatefulSets.ordinal("web-db", "web-db-3")).isEqualTo(OptionalInt.of(3));
    for (String bad : new String[] {"db-", "db-01", "db-x", "db-1a", "dbx-1", "db", "db--1"}) {
      assertThat(StatefulSets.ordinal("db", bad)).as(bad).isEmpty();
    }
    assertThat(StatefulSets.ordinal("db", "db-1234567890")).isEmpty(); // beyond an int's range
  }
}
