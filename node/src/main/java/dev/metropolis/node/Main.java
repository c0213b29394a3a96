package dev.metropolis.node;

/** Entry point of the node core process. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.err.println("metropolis-node: the node core lands with the one-node cluster issue");
    System.exit(2);
  }
}
