/**
 * Small shared utilities of the kit that belong to no single method: {@link org.diffinv.util.Scopes}, the one
 * place that implements DJL's memory discipline for loops that carry tensors from step to step.
 */
package org.diffinv.util;
