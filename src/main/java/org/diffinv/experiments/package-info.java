/**
 * Experiment plumbing shared by the notebooks and the command line: reports on the shipped priors (model-card
 * numbers and training curves as Tablesaw tables).
 */
package org.diffinv.experiments;
