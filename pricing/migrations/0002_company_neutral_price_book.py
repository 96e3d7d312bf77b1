"""Plan aliases; segment discounts for any named segment (label, terms, duration); no default surcharge.

Existing nonprofit and education rows get the label and terms the code used to hold."""

import django.contrib.postgres.fields
import django.core.validators
from decimal import Decimal

from django.db import migrations, models

import pricing.models

FORMER_TERMS = {
    "nonprofit": (
        "nonprofits",
        ["nonprofit", "nonprofits", "non-profit", "non profit", "not-for-profit", "charity", "charities",
         "charitable", "ngo", "ngos", "foundation", "sin fines de lucro", "sin ánimo de lucro", "ong",
         "sem fins lucrativos", "association", "gemeinnützig", "stiftung", "verein"],
    ),
    "education": (
        "schools and universities",
        ["school", "schools", "school district", "university", "universities", "college", "colleges",
         "education", "educational", "academic", "students", "escuela", "universidad", "educación", "escola",
         "universidade", "école", "université", "schule", "universität", "hochschule"],
    ),
}


def fill_segments(apps, schema_editor):
    SegmentDiscount = apps.get_model("pricing", "SegmentDiscount")
    for row in SegmentDiscount.objects.all():
        label, terms = FORMER_TERMS.get(row.segment, (row.segment, [row.segment]))
        row.label, row.terms = label, terms
        row.save(update_fields=["label", "terms"])


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_price_book")]

    operations = [
        migrations.AddField(
            model_name="planprice",
            name="aliases",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=50),
                blank=True,
                default=list,
                help_text="Other names prospects use for the plan, comma-separated, e.g. Pro for Professional.",
                size=None,
            ),
        ),
        migrations.AlterField(
            model_name="planprice",
            name="name",
            field=models.CharField(help_text="As replies write it, e.g. Growth.", max_length=50),
        ),
        migrations.AlterField(
            model_name="planprice",
            name="custom_pricing",
            field=models.BooleanField(
                default=False,
                help_text="Never quoted by the tool (a top plan priced per deal): the prospect talks to sales.",
            ),
        ),
        migrations.AlterField(
            model_name="pricebook",
            name="monthly_billing_surcharge_percent",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0"),
                help_text="How much more a seat costs per month when billed monthly instead of annually.",
                max_digits=5,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("100")),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="pricebook",
            name="stack_order",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("volume", "Volume (bulk) discount"),
                        ("segment", "Segment discount"),
                        ("monthly_surcharge", "Monthly billing surcharge"),
                    ],
                    max_length=20,
                ),
                default=pricing.models.default_stack_order,
                help_text=(
                    "The order adjustments apply to the per-seat price, comma-separated: "
                    "volume,segment,monthly_surcharge. Each step's price is rounded to the cent."
                ),
                size=None,
            ),
        ),
        migrations.AlterField(
            model_name="segmentdiscount",
            name="segment",
            field=models.SlugField(help_text="A short key, e.g. startup.", max_length=40),
        ),
        migrations.AddField(
            model_name="segmentdiscount",
            name="label",
            field=models.CharField(
                default="",
                help_text="How a quote names the buyers, after the percentage: '30% discount for <label>'.",
                max_length=80,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="segmentdiscount",
            name="terms",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=80),
                default=list,
                help_text=(
                    "Words by which prospects say they are such a buyer, in every language you serve, "
                    "comma-separated, e.g. startup, start-up, early-stage. Matched as whole words, case-insensitive."
                ),
                size=None,
            ),
        ),
        migrations.AddField(
            model_name="segmentdiscount",
            name="duration_months",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="How many months the discount lasts (12: the first year). Empty: for as long as they subscribe.",
                null=True,
                validators=[django.core.validators.MinValueValidator(1)],
            ),
        ),
        migrations.RunPython(fill_segments, migrations.RunPython.noop),
    ]
