"""The project's property tests use the public strategies in ``emulator.strategies``."""

from __future__ import annotations

from emulator.strategies import (
    FormTemplate,
    JsonTemplate,
    any_templates,
    callback_carriers,
    callback_params,
    custom_var_names,
    custom_vars,
    encode_param,
    form_cases,
    json_cases,
    literal_texts,
    object_keys,
    system_variable_values,
    variable_names,
    variable_values,
    well_formed_templates,
)

__all__ = [
    "FormTemplate",
    "JsonTemplate",
    "any_templates",
    "callback_carriers",
    "callback_params",
    "custom_var_names",
    "custom_vars",
    "encode_param",
    "form_cases",
    "json_cases",
    "literal_texts",
    "object_keys",
    "system_variable_values",
    "variable_names",
    "variable_values",
    "well_formed_templates",
]
