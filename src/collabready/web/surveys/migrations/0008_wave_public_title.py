from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0007_monitoring_snapshot'),
    ]

    operations = [
        migrations.AddField(
            model_name='wave',
            name='public_title',
            field=models.CharField(blank=True, default='', max_length=200),
        ),
        migrations.AddField(
            model_name='wave',
            name='public_title_cy',
            field=models.CharField(blank=True, default='', max_length=200),
        ),
    ]
