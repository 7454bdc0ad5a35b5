/**
 * Small shared utilities of the kit that belong to no single method: {@link org.diffinv.util.Scopes}, the one
 * place that implements DJL's memory discipline for loops that carry tensors from step to step, and
 * {@link org.diffinv.util.GradientRecording}, which tells the cost ledger that a call is on a tape being
 * back-propagated.
 */
package org.diffinv.util;
