package dev.metropolis.kubernetes.apiserver.auth;

import java.util.List;

/** An authenticated caller: the subject CN of its client certificate and its O values. */
public record User(String name, List<String> groups) {
  public User {
    groups = List.copyOf(groups);
  }
}
