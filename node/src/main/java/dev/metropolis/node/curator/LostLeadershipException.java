package dev.metropolis.node.curator;

/** A fenced write was refused because this curator is no longer the leader. */
public final class LostLeadershipException extends Exception {
  private static final long serialVersionUID = 1L;

  public LostLeadershipException() {
    super("lost leadership");
  }
}
