/**
 * Event values: observable variables for which only the latest value matters.
 *
 * <p>A producer calls {@link dev.metropolis.osbase.event.Value#set}; each consumer calls {@link
 * dev.metropolis.osbase.event.Value#watch} once and then {@link
 * dev.metropolis.osbase.event.Watcher#get} in a loop. The first {@code get} returns the current
 * value (or waits for the first one); every later {@code get} waits for a newer {@code set}. Values
 * in between may be skipped: a slow consumer reconciles against the newest state rather than
 * replaying a queue of stale ones, which is what level-triggered loops want and keeps memory
 * bounded no matter how far a consumer falls behind.
 *
 * <p>Rejected alternatives: a listener callback runs consumer code on the producer's thread (one
 * slow consumer stalls everyone, and exceptions land in the wrong place); a queue per consumer
 * grows without bound and delivers values nobody needs any more. A watcher per consumer, owned by
 * one thread, avoids both.
 */
package dev.metropolis.osbase.event;
