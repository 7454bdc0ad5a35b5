/**
 * Diffusion priors: the one prior interface every sampler and solver uses ({@link org.diffinv.priors.EpsPrior},
 * a noise predictor {@code eps_theta(x_t, t)} on a discrete VP schedule) and the exact analytic priors used to
 * test samplers and solvers against closed forms.
 *
 * <ul>
 *   <li>{@link org.diffinv.priors.GaussianPrior}: {@code N(mu, Sigma)} on small images; exact eps at every t
 *       (DJL ops, differentiable), Tweedie Jacobian, {@code Cov(x_0 | x_t)}, exact samples, closed-form
 *       posterior and log evidence under {@code y = A x + sigmaY n}, and the exact conditional score
 *       {@code grad_{x_t} log p(y | x_t)}.</li>
 *   <li>{@link org.diffinv.priors.GaussianMixturePrior}: {@code sum_k pi_k N(mu_k, Sigma_k)}; eps via stable
 *       responsibilities, moments, samples, closed-form posterior (component posteriors and updated weights).</li>
 *   <li>Consistency functions ({@link org.diffinv.priors.ConsistencyFunction}, with multistep consistency sampling):
 *       the distilled {@link org.diffinv.priors.ConsistencyModel} (a noise predictor in the kit's
 *       {@link org.diffinv.priors.ConsistencyParametrization}), the exact one of a Gaussian prior
 *       ({@link org.diffinv.priors.GaussianPrior#consistencyFunction}) and any prior's probability-flow map by
 *       DDIM ({@link org.diffinv.priors.OdeConsistency}).</li>
 * </ul>
 * Dense linear algebra is double precision (commons-math); linear operators are made dense by applying them
 * to basis images (a package-private stop-gap until {@code org.diffinv.linalg} provides the shared helper).
 */
package org.diffinv.priors;
