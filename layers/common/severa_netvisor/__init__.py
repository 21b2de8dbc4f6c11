"""severa-netvisor: keeps Visma Severa and Visma Netvisor in step, unattended, on AWS Lambda."""

__version__ = "0.1.0"
